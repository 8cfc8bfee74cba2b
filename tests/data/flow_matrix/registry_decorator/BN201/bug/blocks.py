import torch.nn as nn

from registry import register_model


@register_model("stem")
class Stem(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(width * 2)

    def forward(self, x):
        return self.bn(self.conv(x)).relu()
