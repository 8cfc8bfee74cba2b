import torch
import torch.nn as nn
import lightning.pytorch as pl
from torch.utils.data import DataLoader


class MPNN(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(8, 16, bias=False)
        self.bn = nn.BatchNorm1d(16)
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        return self.head(self.bn(self.enc(x)))

    def training_step(self, batch, batch_idx):
        x, y = batch
        return ((self(x) - y) ** 2).mean()


def main(train_dset):
    train_loader = DataLoader(train_dset, batch_size=4, shuffle=True)
    model = MPNN()
    trainer = pl.Trainer(max_epochs=3)
    for x, y in train_loader: ((model(x) - y) ** 2).mean().backward()
