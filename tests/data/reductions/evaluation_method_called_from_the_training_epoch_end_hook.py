import pytorch_lightning as pl
import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        return self.head(self.bn(self.conv(x)).mean((2, 3)))


class Learner(pl.LightningModule):
    def __init__(self, probes):
        super().__init__()
        self.net = Encoder()
        self.target_net = Encoder()
        self.probes = probes

    def training_step(self, batch, batch_idx):
        return self.net(batch).sum()

    def training_epoch_end(self, outputs):
        self.log("agreement", self.evaluate())

    def evaluate(self):
        hits = 0
        for image, label in self.probes:
            hits += int(self.target_net(image).argmax() == label)
        return hits / len(self.probes)
