import torch
import torch.nn as nn
from pytorch_lightning import LightningModule


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(self.fc(x))


class Plan(LightningModule):
    def __init__(self):
        super().__init__()
        self.module = Encoder()

    def training_step(self, batch, batch_idx):
        return self.module(batch).sum()

    def validation_step(self, batch, batch_idx):
        self.last = batch
        return batch.mean()

    def on_validation_epoch_end(self):
        with torch.no_grad():
            self.log("val", self.module(self.last).mean())

    def on_validation_epoch_start(self):
        self.module.train()
        torch.set_grad_enabled(True)
