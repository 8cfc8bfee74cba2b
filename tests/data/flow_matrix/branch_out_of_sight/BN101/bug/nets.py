import torch.nn as nn


class KeypointNet(nn.Module):
    def __init__(self, joints=17):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                                  nn.Conv2d(32, joints, 1))

    def forward(self, x):
        return self.body(x)
