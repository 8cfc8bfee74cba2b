"""UBC Ovarian Cancer subtype (UBC-OCEAN) -- PyTorch Lightning, timm backbone + BN neck.

Trainer handles train/eval switching for training_step / validation_step /
predict_step. The standalone `quick_predict` helper (used in the notebook for
a few thumbnails) switches the mode itself and restores it afterwards.
"""
import argparse
import os

import albumentations as A
import cv2
import numpy as np
import pandas as pd
import pytorch_lightning as pl
import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from albumentations.pytorch import ToTensorV2
from sklearn.metrics import balanced_accuracy_score
from torch.utils.data import DataLoader, Dataset

LABELS = ["CC", "EC", "HGSC", "LGSC", "MC"]


class TileDataset(Dataset):
    def __init__(self, df, img_dir, tfm, with_label=True):
        self.paths = [os.path.join(img_dir, f"{i}_thumbnail.png") for i in df.image_id]
        self.labels = df.label.map(LABELS.index).values if with_label else None
        self.tfm = tfm

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        img = cv2.cvtColor(cv2.imread(self.paths[i]), cv2.COLOR_BGR2RGB)
        img = self.tfm(image=img)["image"]
        return (img, self.labels[i]) if self.labels is not None else img


class OceanModule(pl.LightningModule):
    def __init__(self, arch="efficientnet_b2", lr=3e-4, neck_dim=512, mixup_p=0.5):
        super().__init__()
        self.save_hyperparameters()
        self.backbone = timm.create_model(arch, pretrained=True, num_classes=0)
        self.neck = nn.Sequential(
            nn.Linear(self.backbone.num_features, neck_dim, bias=False),
            nn.BatchNorm1d(neck_dim),
            nn.SiLU(),
        )
        self.head = nn.Linear(neck_dim, len(LABELS))
        self.val_preds, self.val_gts = [], []

    def forward(self, x):
        feat = self.neck(self.backbone(x))
        if self.training:
            feat = F.dropout(feat, 0.2)
        return self.head(feat)

    def training_step(self, batch, batch_idx):
        x, y = batch
        if np.random.rand() < self.hparams.mixup_p:
            lam = np.random.beta(0.4, 0.4)
            idx = torch.randperm(x.size(0), device=x.device)
            logits = self(lam * x + (1 - lam) * x[idx])
            loss = lam * F.cross_entropy(logits, y) + (1 - lam) * F.cross_entropy(logits, y[idx])
        else:
            loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True)
        self.val_preds.append(logits.argmax(1).cpu())
        self.val_gts.append(y.cpu())

    def on_validation_epoch_end(self):
        preds = torch.cat(self.val_preds).numpy()
        gts = torch.cat(self.val_gts).numpy()
        self.log("val_bacc", balanced_accuracy_score(gts, preds), prog_bar=True)
        self.val_preds.clear()
        self.val_gts.clear()

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x = batch
        return (F.softmax(self(x), 1) + F.softmax(self(x.flip(-1)), 1)) / 2

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=1e-2)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)
        return [opt], [sched]


def quick_predict(model, images):
    """Predict a handful of images without touching the caller's train/eval state."""
    was_training = model.training
    model.train(mode=False)
    with torch.no_grad():
        probs = F.softmax(model(images), dim=1)
    model.train(was_training)
    return probs


def get_transforms(train, size=512):
    if train:
        return A.Compose([A.RandomResizedCrop(size, size, scale=(0.5, 1.0)), A.Flip(), A.RandomRotate90(), A.HueSaturationValue(p=0.5), A.Normalize(), ToTensorV2()])
    return A.Compose([A.Resize(size, size), A.Normalize(), ToTensorV2()])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/kaggle/input/UBC-OCEAN")
    ap.add_argument("--n_folds", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch_size", type=int, default=16)
    args = ap.parse_args()
    pl.seed_everything(42)

    df = pd.read_csv(os.path.join(args.root, "train_folds.csv"))
    test = pd.read_csv(os.path.join(args.root, "test.csv"))
    img_dir = os.path.join(args.root, "train_thumbnails")
    test_dl = DataLoader(TileDataset(test, os.path.join(args.root, "test_thumbnails"), get_transforms(False), with_label=False), batch_size=args.batch_size)

    fold_probs = []
    for fold in range(args.n_folds):
        trn_dl = DataLoader(TileDataset(df[df.fold != fold], img_dir, get_transforms(True)), batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)
        val_dl = DataLoader(TileDataset(df[df.fold == fold], img_dir, get_transforms(False)), batch_size=args.batch_size, num_workers=4)
        model = OceanModule()
        ckpt_cb = pl.callbacks.ModelCheckpoint(monitor="val_bacc", mode="max", filename=f"fold{fold}" + "-{epoch}-{val_bacc:.3f}")
        trainer = pl.Trainer(max_epochs=args.epochs, accelerator="gpu", precision="16-mixed", callbacks=[ckpt_cb])
        trainer.fit(model, trn_dl, val_dl)

        best = OceanModule.load_from_checkpoint(ckpt_cb.best_model_path)
        fold_probs.append(torch.cat(trainer.predict(best, test_dl)).numpy())

        sample = next(iter(val_dl))[0][:4]
        print("sanity:", quick_predict(best, sample.to(best.device)).argmax(1).tolist())

    test["label"] = [LABELS[i] for i in np.mean(fold_probs, axis=0).argmax(1)]
    test[["image_id", "label"]].to_csv("submission.csv", index=False)


if __name__ == "__main__":
    main()
