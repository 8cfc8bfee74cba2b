import numpy as np
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1, bias=False)
        self.bn = nn.BatchNorm1d(1)

    def forward(self, x):
        return self.bn(self.fc(x))


def siamese_loss(model, dataset, objective):
    batch_losses = np.zeros(len(dataset))
    for i, (x, labels) in enumerate(dataset):
        outputs = model(x)
        batch_losses[i] = objective(outputs, labels).item()
    return batch_losses
