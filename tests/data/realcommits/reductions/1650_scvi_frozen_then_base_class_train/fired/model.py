import torch
import torch.nn as nn
import pytorch_lightning as pl


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


class PairModel(nn.Module):
    def __init__(self, loader):
        super().__init__()
        self.module = PairModule()
        self.loader = loader

    def fit_model(self, max_epochs=10):
        self.module.x_module.requires_grad_(False)
        self.module.x_module.eval()
        self.module.train()
        opt = torch.optim.Adam(self.module.xy_module.parameters())
        for x, y in self.loader:
            loss = ((self.module.xy_module(self.module.x_module(x)) - y) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
