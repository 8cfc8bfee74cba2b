import torch
from lightning import LightningModule
from torch import nn


def block():
    return nn.Sequential(nn.Linear(10, 16, bias=False), nn.BatchNorm1d(16))


class Distill(LightningModule):
    def __init__(self, teachers: list) -> None:
        super().__init__()
        self.teachers = teachers
        self.student = block()

    def training_step(self, batch, batch_idx):
        with torch.no_grad():
            targets = []
            for teacher in self.teachers:
                targets.append(teacher(batch))
        return ((self.student(batch) - torch.stack(targets).mean(0)) ** 2).mean()

    def validation_step(self, batch, batch_idx):
        out = self.student(batch)
        self.log("acc", out.argmax(1).float().mean())
