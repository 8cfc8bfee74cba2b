"""MobileNet-style blocks ported from TF, with the BN momentum converted properly.

TF: decay=0.99, epsilon=1e-3  ->  PyTorch: momentum=1 - 0.99, eps=1e-3.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

TF_DECAY = 0.99
BN_MOMENTUM = 1 - TF_DECAY      # 0.01, the weight of the new batch
BN_EPS = 1e-3
FAST_MOMENTUM = 0.49            # short schedule: adapt quickly, still < 0.5


def bn(channels):
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class DepthwiseSeparable(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.dw = nn.Conv2d(in_ch, in_ch, 3, stride=stride, padding=1, groups=in_ch, bias=False)
        self.dw_bn = bn(in_ch)
        self.pw = nn.Conv2d(in_ch, out_ch, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(out_ch, momentum=FAST_MOMENTUM)

    def forward(self, x):
        x = F.relu6(self.dw_bn(self.dw(x)))
        return F.relu6(self.pw_bn(self.pw(x)))


class TinyMobileNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(32, 0.009)          # positional eps, tiny value
        self.blocks = nn.Sequential(
            DepthwiseSeparable(32, 64),
            DepthwiseSeparable(64, 128, stride=2),
            DepthwiseSeparable(128, 128),
            DepthwiseSeparable(128, 256, stride=2),
        )
        self.last = nn.Conv2d(256, 512, 1, bias=False)
        self.last_bn = nn.BatchNorm2d(512, 1e-5, 0.1)     # positional eps and momentum, both sane
        self.fc_hidden = nn.Linear(512, 256, bias=False)
        self.fc_bn = nn.BatchNorm1d(256, eps=0.01)         # keyword eps: intended
        self.avg_bn = nn.BatchNorm1d(256, momentum=None)   # cumulative moving average
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        x = F.relu6(self.stem_bn(self.stem(x)))
        x = self.blocks(x)
        x = F.relu6(self.last_bn(self.last(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        x = F.relu(self.fc_bn(self.fc_hidden(x)))
        return self.fc(self.avg_bn(x))


def make_optimizer(model):
    # SGD momentum is unrelated to BatchNorm momentum
    return torch.optim.SGD(model.parameters(), lr=0.045, momentum=0.9, weight_decay=4e-5)


def train_epoch(model, loader, optimizer):
    model.train()
    for images, targets in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), targets)
        loss.backward()
        optimizer.step()
