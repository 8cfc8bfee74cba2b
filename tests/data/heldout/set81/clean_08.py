import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class SignalDenoiser(pl.LightningModule):
    def __init__(self, channels=2, width=48, depth=4, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        layers = []
        cin = channels
        for i in range(depth):
            cout = width * (2 if i == depth - 1 else 1)
            layers.append(nn.Conv1d(cin, cout, 7, padding=3, bias=False))
            layers.append(nn.BatchNorm1d(cout))
            layers.append(nn.PReLU(cout))
            cin = cout
        self.encoder = nn.Sequential(*layers)
        self.decoder = nn.Conv1d(width * 2, channels, 1)

    def forward(self, x):
        return x - self.decoder(self.encoder(x))

    def _loss(self, batch):
        noisy, clean = batch
        return F.l1_loss(self(noisy), clean)

    def training_step(self, batch, batch_idx):
        loss = self._loss(batch)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", self._loss(batch), prog_bar=True)

    def test_step(self, batch, batch_idx):
        noisy, clean = batch
        snr = 10 * torch.log10(clean.pow(2).mean() / (self(noisy) - clean).pow(2).mean())
        self.log("test_snr", snr)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        noisy, _ = batch
        return self(noisy)

    def configure_optimizers(self):
        opt = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.CosineAnnealingLR(opt, 10)}


def make_ds(n, length=1024):
    clean = torch.sin(torch.linspace(0, 60, length)).expand(n, 2, length).clone()
    return TensorDataset(clean + 0.3 * torch.randn_like(clean), clean)


def main():
    model = SignalDenoiser()
    trainer = pl.Trainer(max_epochs=10, accelerator="cpu", logger=False)
    train_dl = DataLoader(make_ds(640), batch_size=32, shuffle=True, drop_last=True)
    val_dl = DataLoader(make_ds(50), batch_size=4)
    trainer.fit(model, train_dl, val_dl)
    trainer.test(model, DataLoader(make_ds(10), batch_size=1))
    out = trainer.predict(model, DataLoader(make_ds(3), batch_size=1))
    print(len(out))


if __name__ == "__main__":
    main()
