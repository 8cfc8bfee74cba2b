"""ECG arrhythmia classification with PyTorch Lightning.

Lightning switches train/eval mode around validation_step / test_step /
predict_step, so the steps themselves do not call eval().
"""
import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from pytorch_lightning.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint
from torch.utils.data import DataLoader, Dataset
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

NUM_CLASSES = 5
SIGNAL_LEN = 1000
N_LEADS = 12


class ECGDataset(Dataset):
    def __init__(self, npz_path):
        data = np.load(npz_path)
        self.x = data["signals"].astype(np.float32)  # (N, leads, samples)
        self.y = data["labels"].astype(np.int64)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]), self.y[i]


class ResBlock1d(nn.Module):
    def __init__(self, channels, kernel_size=7, dilation=1):
        super().__init__()
        pad = dilation * (kernel_size // 2)
        self.conv1 = nn.Conv1d(channels, channels, kernel_size, padding=pad,
                               dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size, padding=pad,
                               dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm1d(channels)

    def forward(self, x):  # x: (N, C, L)
        out = F.gelu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.gelu(out + x)


class ECGNet(nn.Module):
    def __init__(self, n_leads=N_LEADS, width=64, num_classes=NUM_CLASSES):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(n_leads, width, 15, stride=2, padding=7, bias=False),
            nn.BatchNorm1d(width),
            nn.GELU(),
        )
        self.blocks = nn.Sequential(*[ResBlock1d(width, dilation=d) for d in (1, 2, 4, 8)])
        self.attn = nn.MultiheadAttention(width, num_heads=4, batch_first=True)
        self.attn_norm = nn.BatchNorm1d(width)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x):
        h = self.blocks(self.stem(x))          # (N, C, L)
        seq = h.transpose(1, 2)                # (N, L, C) for batch_first attention
        seq, _ = self.attn(seq, seq, seq)
        h = self.attn_norm(seq.transpose(1, 2))  # back to (N, C, L) before BN
        return self.fc(h.mean(dim=2))


class ECGModule(pl.LightningModule):
    def __init__(self, lr=1e-3, weight_decay=1e-2):
        super().__init__()
        self.save_hyperparameters()
        self.net = ECGNet()
        self.val_acc = MulticlassAccuracy(NUM_CLASSES)
        self.val_f1 = MulticlassF1Score(NUM_CLASSES, average="macro")
        self.test_f1 = MulticlassF1Score(NUM_CLASSES, average="macro")

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_acc(logits.argmax(1), y)
        self.val_f1(logits.argmax(1), y)
        self.log("val/loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val/acc", self.val_acc)
        self.log("val/f1", self.val_f1, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.test_f1(self(x).argmax(1), y)
        self.log("test/f1", self.test_f1)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return torch.softmax(self(x), dim=1)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr,
                                weight_decay=self.hparams.weight_decay)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=self.hparams.lr, total_steps=self.trainer.estimated_stepping_batches)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


class ECGDataModule(pl.LightningDataModule):
    def __init__(self, root="data/ptbxl", batch_size=64):
        super().__init__()
        self.root, self.batch_size = root, batch_size

    def setup(self, stage=None):
        self.train_ds = ECGDataset(f"{self.root}/train.npz")
        self.val_ds = ECGDataset(f"{self.root}/val.npz")
        self.test_ds = ECGDataset(f"{self.root}/test.npz")

    def train_dataloader(self):
        return DataLoader(self.train_ds, batch_size=self.batch_size, shuffle=True,
                          num_workers=4, drop_last=True)

    def val_dataloader(self):
        return DataLoader(self.val_ds, batch_size=256, num_workers=4)

    def test_dataloader(self):
        return DataLoader(self.test_ds, batch_size=256, num_workers=4)

    def predict_dataloader(self):
        return self.test_dataloader()


if __name__ == "__main__":
    pl.seed_everything(7)
    dm = ECGDataModule()
    module = ECGModule()
    trainer = pl.Trainer(
        max_epochs=40, precision="16-mixed", accumulate_grad_batches=2,
        callbacks=[ModelCheckpoint(monitor="val/f1", mode="max"),
                   EarlyStopping(monitor="val/f1", mode="max", patience=6),
                   LearningRateMonitor("step")],
    )
    trainer.fit(module, datamodule=dm)
    trainer.test(module, datamodule=dm, ckpt_path="best")
    probs = torch.cat(trainer.predict(module, datamodule=dm, ckpt_path="best"))
    np.save("ecg_test_probs.npy", probs.numpy())
