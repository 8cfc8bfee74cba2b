import pytorch_lightning as pl
import torch
from torch import nn


class Classifier(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(16, 32, bias=False), nn.BatchNorm1d(32), nn.Linear(32, 4))

    def shared_step(self, batch):
        x, y = batch
        logits = self.model(x)
        accuracy = (logits.argmax(1) == y).float().mean()
        return nn.functional.cross_entropy(logits, y), accuracy

    def training_step(self, batch, batch_idx):
        loss, accuracy = self.shared_step(batch)
        self.log("train_acc", accuracy)
        return loss

    def validation_step(self, batch, batch_idx):
        loss, accuracy = self.shared_step(batch)
        self.log("val_acc", accuracy)

    def predict_step(self, batch, batch_idx):
        with torch.no_grad():
            return self.model(batch).argmax(1)
