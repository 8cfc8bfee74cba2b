import torch.nn as nn


class YOLOv2(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.stride = 32

    def forward(self, x, targets=None):
        return self.bn(self.conv(x)).mean()

    def get_stride(self):
        return self.stride
