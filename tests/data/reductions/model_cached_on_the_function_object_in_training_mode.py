import torch.nn as nn


class Crepe(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))


def infer(batch):
    if not hasattr(infer, 'model'):
        infer.model = Crepe()
    return infer.model(batch)
