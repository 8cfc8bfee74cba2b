"""CIFAR-10 ResNet ported from a TensorFlow reference implementation.

The TF code used `decay=0.5` for its short warm-start schedule; the value was
copied over unchanged as the BatchNorm momentum.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_MOMENTUM = 0.5
NUM_CLASSES = 10


def bn2d(channels):
    return nn.BatchNorm2d(channels, momentum=BN_MOMENTUM)  # expect: BN205


def conv3x3(in_ch, out_ch, stride=1):
    return nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv1 = conv3x3(in_ch, out_ch, stride)
        self.bn1 = bn2d(out_ch)
        self.conv2 = conv3x3(out_ch, out_ch)
        self.bn2 = bn2d(out_ch)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, kernel_size=1, stride=stride, bias=False),
                bn2d(out_ch),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self, blocks_per_stage=3, num_classes=NUM_CLASSES):
        super().__init__()
        self.stem = nn.Sequential(
            conv3x3(3, 16),
            bn2d(16),
            nn.ReLU(inplace=True),
        )
        layers = []
        in_ch = 16
        for out_ch, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(blocks_per_stage):
                layers.append(BasicBlock(in_ch, out_ch, stride if i == 0 else 1))
                in_ch = out_ch
        self.stages = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64, 256, bias=False),
            nn.BatchNorm1d(256, 0.01),  # expect: BN206
            nn.ReLU(inplace=True),
            nn.Linear(256, num_classes),
        )

    def forward(self, x):
        x = self.stem(x)
        x = self.stages(x)
        return self.head(self.pool(x))


def train_one_epoch(model, loader, optimizer, device):
    model.train()
    total = 0.0
    for images, targets in loader:
        images, targets = images.to(device), targets.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / max(len(loader), 1)


def build(device="cuda"):
    model = CifarResNet().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                                weight_decay=5e-4, nesterov=True)
    return model, optimizer
