import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Conv2d(8, 2, 1))
        self.final_activation = nn.Softmax(dim=1)

    def forward(self, x):
        return self.body(x)
