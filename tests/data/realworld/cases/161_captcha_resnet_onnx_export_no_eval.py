import os

import torch
import torch.nn as nn


class ResidualBlock(nn.Module):
    def __init__(self, inchannel, outchannel, stride=1):
        super().__init__()
        self.left = nn.Sequential(
            nn.Conv2d(inchannel, outchannel, kernel_size=3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(outchannel, track_running_stats=True),
            nn.ReLU(inplace=True),
            nn.Conv2d(outchannel, outchannel, kernel_size=3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(outchannel, track_running_stats=True))
        self.shortcut = nn.Sequential()
        if stride != 1 or inchannel != outchannel:
            self.shortcut = nn.Sequential(
                nn.Conv2d(inchannel, outchannel, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(outchannel, track_running_stats=True))

    def forward(self, x):
        return nn.functional.relu(self.left(x) + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, ResidualBlock, num_classes=62):
        super().__init__()
        self.inchannel = 64
        self.conv1 = nn.Sequential(nn.Conv2d(1, 64, kernel_size=3, stride=1, padding=1, bias=False),
                                   nn.BatchNorm2d(64, track_running_stats=True), nn.ReLU())
        self.layer1 = self.make_layer(ResidualBlock, 64, 2, stride=1)
        self.layer2 = self.make_layer(ResidualBlock, 128, 2, stride=2)
        self.drop = nn.Dropout(0.5)
        self.fcs = nn.ModuleList([nn.Linear(128, num_classes) for _ in range(4)])

    def make_layer(self, block, channels, num_blocks, stride):
        layers = []
        for stride in [stride] + [1] * (num_blocks - 1):
            layers.append(block(self.inchannel, channels, stride))
            self.inchannel = channels
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.layer2(self.layer1(self.conv1(x)))
        x = self.drop(nn.AdaptiveAvgPool2d(1)(x).view(-1, 128))
        return tuple(fc(x) for fc in self.fcs)

    def load_model(self, weight_path):
        if os.path.exists(weight_path):
            self.load_state_dict(torch.load(weight_path, map_location="cpu"))
            print("load %s success!" % weight_path)


if __name__ == "__main__":
    model = ResNet(ResidualBlock)
    model.load_model(r"models/ResNet18_epoch45_lr0.001.pth")
    data = torch.rand(1, 1, 40, 120)
    torch.onnx.export(model, data, "model.onnx", export_params=True, opset_version=11)
