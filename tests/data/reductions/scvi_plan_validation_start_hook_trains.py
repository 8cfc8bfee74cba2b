import torch
import torch.nn as nn
from scvi.train import TrainingPlan


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(self.fc(x))


class Plan(TrainingPlan):
    def __init__(self, module):
        super().__init__(module=module)

    def training_step(self, batch, batch_idx):
        return self.module(batch).sum()

    def validation_step(self, batch, batch_idx):
        out = self.module(batch)
        return out.mean()

    def on_validation_epoch_start(self):
        self.module.train()
        torch.set_grad_enabled(True)
