"""Recurrent VAE for multivariate sensor sequences (PyTorch Lightning).

Input (B, T, F). BatchNorm1d is applied over the feature axis: either by
moving F to dim 1 or by flattening time into the batch.
"""
import math

import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_SERIES = 10_001
SEQ_LEN = 96
N_FEATS = 6
HIDDEN = 128
LATENT = 16
BATCH = 100


def make_synthetic(n, seq_len, n_feats, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 4 * math.pi, seq_len)
    freq = 0.5 + torch.rand(n, 1, n_feats, generator=g)
    phase = 2 * math.pi * torch.rand(n, 1, n_feats, generator=g)
    x = torch.sin(freq * t[None, :, None] + phase)
    return x + 0.05 * torch.randn(n, seq_len, n_feats, generator=g)


class SeqVAE(pl.LightningModule):
    def __init__(self, n_feats=N_FEATS, hidden=HIDDEN, latent=LATENT, beta=0.5, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.in_bn = nn.BatchNorm1d(n_feats)
        self.enc = nn.GRU(n_feats, hidden, batch_first=True, bidirectional=True)
        self.enc_bn = nn.BatchNorm1d(2 * hidden)
        self.to_stats = nn.Linear(2 * hidden, 2 * latent)
        self.z_to_h = nn.Linear(latent, hidden, bias=False)
        self.z_bn = nn.BatchNorm1d(hidden)
        self.dec = nn.GRU(n_feats, hidden, batch_first=True)
        self.out = nn.Linear(hidden, n_feats)

    def encode(self, x):                                   # x: (B, T, F)
        x = self.in_bn(x.transpose(1, 2)).transpose(1, 2)  # normalise per feature
        h, _ = self.enc(x)                                 # (B, T, 2H)
        B, T_, C = h.shape
        h = self.enc_bn(h.reshape(B * T_, C)).view(B, T_, C)
        mu, logvar = self.to_stats(h.mean(1)).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z, x):
        h0 = torch.tanh(self.z_bn(self.z_to_h(z))).unsqueeze(0)
        inp = F.pad(x[:, :-1], (0, 0, 1, 0))               # teacher forcing, shifted right
        out, _ = self.dec(inp, h0)
        return self.out(out)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.decode(z, x), mu, logvar

    def _elbo(self, x):
        recon, mu, logvar = self(x)
        rec = F.mse_loss(recon, x, reduction="none").sum((1, 2)).mean()
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean()
        return rec + self.hparams.beta * kl, rec, kl

    def training_step(self, batch, batch_idx):
        loss, rec, kl = self._elbo(batch[0])
        self.log_dict({"train/loss": loss, "train/rec": rec, "train/kl": kl}, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        loss, rec, kl = self._elbo(batch[0])
        self.log_dict({"val/loss": loss, "val/rec": rec, "val/kl": kl})

    def test_step(self, batch, batch_idx):
        recon, _, _ = self(batch[0])
        self.log("test/mse", F.mse_loss(recon, batch[0]))

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        mu, _ = self.encode(batch[0])
        return mu

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


if __name__ == "__main__":
    pl.seed_everything(0)
    data = make_synthetic(N_SERIES, SEQ_LEN, N_FEATS)
    n_val = 1_001
    train_ds = TensorDataset(data[n_val:])
    val_ds = TensorDataset(data[:n_val])
    train_dl = DataLoader(train_ds, batch_size=BATCH, shuffle=True, drop_last=True, num_workers=2)
    val_dl = DataLoader(val_ds, batch_size=BATCH, num_workers=2)

    model = SeqVAE()
    trainer = pl.Trainer(max_epochs=50, accelerator="auto", gradient_clip_val=1.0, log_every_n_steps=20)
    trainer.fit(model, train_dl, val_dl)
    trainer.test(model, val_dl)
    latents = torch.cat(trainer.predict(model, val_dl))
    torch.save(latents, "seqvae_val_latents.pt")
