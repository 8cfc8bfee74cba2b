import torch
import torch.nn as nn
import pytorch_lightning as pl

from base import TrainingMixin


class PairModule(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.x_module = nn.Sequential(nn.Linear(10, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 10))
        self.xy_module = nn.Linear(10, 1)

    def training_step(self, batch, idx):
        x, y = batch
        return ((self.xy_module(self.x_module(x)) - y) ** 2).mean()

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters())


class PairModel(TrainingMixin):
    def __init__(self, loader):
        self.module = PairModule()
        self.loader = loader

    def train(self, max_epochs=None, x_max_epochs=None, **kwargs):
        super().train(max_epochs=x_max_epochs or max_epochs, **kwargs)
        self.module.x_module.requires_grad_(False)
        self.module.x_module.eval()
        super().train(max_epochs=max_epochs, **kwargs)
