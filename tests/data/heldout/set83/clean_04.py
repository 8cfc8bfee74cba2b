"""Chest X-ray lung field segmentation (Montgomery + Shenzhen) with PyTorch Lightning."""
import glob
import os

import cv2
import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from pytorch_lightning.callbacks import ModelCheckpoint, LearningRateMonitor
from torch.utils.data import DataLoader, Dataset
from torchmetrics.classification import BinaryJaccardIndex

HPARAMS = dict(img_size=512, batch_size=16, lr=3e-4, max_epochs=80, base=32, num_workers=8)


class CXRLungs(Dataset):
    def __init__(self, pairs, size, augment):
        self.pairs, self.size, self.augment = pairs, size, augment

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        ip, mp = self.pairs[i]
        img = cv2.resize(cv2.imread(ip, cv2.IMREAD_GRAYSCALE), (self.size, self.size)).astype(np.float32) / 255.0
        msk = (cv2.resize(cv2.imread(mp, cv2.IMREAD_GRAYSCALE), (self.size, self.size),
                          interpolation=cv2.INTER_NEAREST) > 0).astype(np.float32)
        if self.augment:
            angle = np.random.uniform(-10, 10)
            M = cv2.getRotationMatrix2D((self.size / 2, self.size / 2), angle, np.random.uniform(0.9, 1.1))
            img = cv2.warpAffine(img, M, (self.size, self.size), flags=cv2.INTER_LINEAR)
            msk = cv2.warpAffine(msk, M, (self.size, self.size), flags=cv2.INTER_NEAREST)
        return torch.from_numpy(img)[None], torch.from_numpy(msk)[None]


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class LungSegModule(pl.LightningModule):
    def __init__(self, base=32, lr=3e-4, **kwargs):
        super().__init__()
        self.save_hyperparameters()
        c = [base * 2 ** i for i in range(5)]
        self.enc = nn.ModuleList([double_conv(1, c[0])] + [double_conv(c[i], c[i + 1]) for i in range(4)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(c[i + 1], c[i], 2, 2) for i in range(3, -1, -1)])
        self.dec = nn.ModuleList([double_conv(2 * c[i], c[i]) for i in range(3, -1, -1)])
        self.head = nn.Conv2d(c[0], 1, 1)
        self.val_iou = BinaryJaccardIndex()
        self.test_iou = BinaryJaccardIndex()

    def forward(self, x):
        feats = []
        for i, blk in enumerate(self.enc):
            x = blk(x if i == 0 else F.max_pool2d(x, 2))
            feats.append(x)
        x = feats.pop()
        for up, dec in zip(self.up, self.dec):
            x = dec(torch.cat([up(x), feats.pop()], 1))
        return self.head(x)

    @staticmethod
    def _loss(logits, y):
        p = torch.sigmoid(logits)
        dice = 1 - (2 * (p * y).sum() + 1) / (p.sum() + y.sum() + 1)
        return F.binary_cross_entropy_with_logits(logits, y) + dice

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self._loss(self(x), y)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val/loss", self._loss(logits, y), sync_dist=True)
        self.val_iou.update(torch.sigmoid(logits), y.int())
        self.log("val/iou", self.val_iou, on_epoch=True, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        probs = (torch.sigmoid(self(x)) + torch.sigmoid(self(x.flip(-1))).flip(-1)) / 2
        self.test_iou.update(probs, y.int())
        self.log("test/iou", self.test_iou, on_epoch=True)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return (torch.sigmoid(self(x)) > 0.5).to(torch.uint8)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)
        return [opt], [sched]


class CXRDataModule(pl.LightningDataModule):
    def __init__(self, root="data/cxr_lungs", img_size=512, batch_size=16, num_workers=8, **kwargs):
        super().__init__()
        self.root, self.size, self.bs, self.nw = root, img_size, batch_size, num_workers

    def _pairs(self, split):
        imgs = sorted(glob.glob(os.path.join(self.root, split, "images", "*.png")))
        return [(p, p.replace("images", "masks")) for p in imgs]

    def setup(self, stage=None):
        self.train_ds = CXRLungs(self._pairs("train"), self.size, augment=True)
        self.val_ds = CXRLungs(self._pairs("val"), self.size, augment=False)
        self.test_ds = CXRLungs(self._pairs("test"), self.size, augment=False)

    def train_dataloader(self):
        return DataLoader(self.train_ds, batch_size=self.bs, shuffle=True, num_workers=self.nw, pin_memory=True)

    def val_dataloader(self):
        return DataLoader(self.val_ds, batch_size=self.bs, num_workers=self.nw)

    def test_dataloader(self):
        return DataLoader(self.test_ds, batch_size=1, num_workers=self.nw)

    def predict_dataloader(self):
        return self.test_dataloader()


if __name__ == "__main__":
    pl.seed_everything(17)
    dm = CXRDataModule(**HPARAMS)
    model = LungSegModule(**HPARAMS)
    trainer = pl.Trainer(
        max_epochs=HPARAMS["max_epochs"], accelerator="gpu", devices=1, precision="16-mixed",
        callbacks=[ModelCheckpoint(monitor="val/iou", mode="max", save_top_k=1), LearningRateMonitor()],
    )
    trainer.fit(model, dm)
    trainer.test(model, datamodule=dm, ckpt_path="best")
    masks = trainer.predict(model, datamodule=dm, ckpt_path="best")
    print("predicted", sum(m.shape[0] for m in masks), "masks")
