"""3-D U-Net-lite surrogate for steady-state Darcy flow in heterogeneous
porous media: log-permeability voxels (1, 32, 32, 32) -> pressure field.
Trained with PyTorch Lightning, which switches train/eval mode itself.
"""
import lightning.pytorch as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


def block3d(cin, cout):
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.GELU(),
        nn.Conv3d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.GELU(),
    )


class UNet3dLite(nn.Module):
    def __init__(self, base=16):
        super().__init__()
        self.enc1 = block3d(1, base)
        self.enc2 = block3d(base, 2 * base)
        self.mid = block3d(2 * base, 4 * base)
        self.up2 = nn.ConvTranspose3d(4 * base, 2 * base, 2, stride=2)
        self.dec2 = block3d(4 * base, 2 * base)
        self.up1 = nn.ConvTranspose3d(2 * base, base, 2, stride=2)
        self.dec1 = block3d(2 * base, base)
        self.out = nn.Conv3d(base, 1, 1)

    def forward(self, k):
        e1 = self.enc1(k)
        e2 = self.enc2(F.max_pool3d(e1, 2))
        m = self.mid(F.max_pool3d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.out(d1)


class DarcyFields(Dataset):
    def __init__(self, path):
        blob = torch.load(path)                 # {"logk": (S,1,32,32,32), "p": (S,1,32,32,32)}
        self.logk, self.p = blob["logk"], blob["p"]

    def __len__(self):
        return self.logk.shape[0]

    def __getitem__(self, i):
        return self.logk[i], self.p[i]


class DarcySurrogate(pl.LightningModule):
    def __init__(self, base=16, lr=1e-3, batch_size=16, data_dir="sims/darcy"):
        super().__init__()
        self.save_hyperparameters()
        self.net = UNet3dLite(base)

    def forward(self, k):
        return self.net(k)

    def training_step(self, batch, batch_idx):
        k, p = batch
        loss = F.mse_loss(self(k), p)
        self.log("train/mse", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        k, p = batch
        pred = self(k)
        rel_l2 = (pred - p).flatten(1).norm(dim=1) / p.flatten(1).norm(dim=1)
        self.log("val/rel_l2", rel_l2.mean(), prog_bar=True)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        k, _ = batch
        return self(k)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)
        return [opt], [sched]

    def train_dataloader(self):
        return DataLoader(DarcyFields(f"{self.hparams.data_dir}/train.pt"), batch_size=self.hparams.batch_size,
                          shuffle=True, num_workers=4, drop_last=True)

    def val_dataloader(self):
        return DataLoader(DarcyFields(f"{self.hparams.data_dir}/val.pt"), batch_size=4, num_workers=4)

    def predict_dataloader(self):
        return DataLoader(DarcyFields(f"{self.hparams.data_dir}/test.pt"), batch_size=1)


if __name__ == "__main__":
    model = DarcySurrogate()
    trainer = pl.Trainer(max_epochs=200, accelerator="gpu", devices=1, precision="16-mixed",
                         log_every_n_steps=10)
    trainer.fit(model)
    preds = trainer.predict(model)
    torch.save(torch.cat(preds), "darcy_test_pred.pt")
