import torch
import torch.nn as nn

from .blocks import ConvBNAct, conv1x1, conv3x3


class SignNet(nn.Module):
    """Compact CNN for 43-class GTSRB traffic signs (48x48 input)."""

    def __init__(self, num_classes=43, width=32):
        super().__init__()
        self.stem = ConvBNAct(3, width)
        self.stage1 = nn.Sequential(ConvBNAct(width, 2 * width, stride=2), ConvBNAct(2 * width, 2 * width))
        self.stage2_conv = conv3x3(64, 128, stride=2)
        self.stage2_bn = nn.BatchNorm2d(64)  # expect: BN201
        self.stage2_act = nn.ReLU(inplace=True)
        self.proj = conv1x1(128, 256)
        self.proj_bn = nn.BatchNorm2d(256)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        x = self.stage1(self.stem(x))
        x = self.stage2_act(self.stage2_bn(self.stage2_conv(x)))
        x = torch.relu(self.proj_bn(self.proj(x)))
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(self.dropout(x))


def build_net(cfg):
    return SignNet(num_classes=cfg["num_classes"])
