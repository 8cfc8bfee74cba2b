import torch.nn as nn


class DenseStem(nn.Module):
    def __init__(self, growth_rate=32):
        super().__init__()
        self.features = nn.Sequential()
        self.features.conv0 = nn.Conv2d(3, 2 * growth_rate, 7, stride=2, padding=3, bias=False)
        self.features.norm0 = nn.BatchNorm2d(2 * growth_rate)
        self.features.relu0 = nn.ReLU(inplace=True)
        self.features.pool0 = nn.MaxPool2d(3, stride=2, padding=1)

    def forward(self, x):
        return self.features(x)
