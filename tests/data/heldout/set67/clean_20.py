"""Configurable bottleneck ResNet with a width multiplier, used as the backbone of a
retail product recognizer. Trained from scratch on an ImageFolder dataset."""
import argparse
import functools
from typing import Callable, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

STEM_WIDTH = 32
STAGE_PLANES = [64, 128, 256, 512]
STAGE_DEPTHS = [2, 3, 4, 2]

Norm2d = functools.partial(nn.BatchNorm2d, eps=1e-5, momentum=0.1)


def make_divisible(value: float, divisor: int = 8) -> int:
    return max(divisor, int(value + divisor / 2) // divisor * divisor)


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None,
                 norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = norm_layer(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = norm_layer(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNetW(nn.Module):
    def __init__(self, num_classes: int, width_mult: float = 1.0, norm_layer=Norm2d):
        super().__init__()
        stem = make_divisible(STEM_WIDTH * width_mult)
        self.stem = nn.Sequential()
        in_ch = 3
        for i, out_ch in enumerate([stem, stem, stem * 2]):
            self.stem.add_module(f"conv{i}", conv3x3(in_ch, out_ch, stride=2 if i == 0 else 1))
            self.stem.add_module(f"bn{i}", norm_layer(out_ch))
            self.stem.add_module(f"relu{i}", nn.ReLU(inplace=True))
            in_ch = out_ch
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)

        self.inplanes = in_ch
        stages: List[nn.Module] = []
        for idx, (planes, depth) in enumerate(zip(STAGE_PLANES, STAGE_DEPTHS)):
            planes = make_divisible(planes * width_mult)
            stages.append(self._make_stage(planes, depth, 1 if idx == 0 else 2, norm_layer))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(self.inplanes, num_classes)

    def _make_stage(self, planes, blocks, stride, norm_layer):
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * Bottleneck.expansion, stride),
                norm_layer(planes * Bottleneck.expansion),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample, norm_layer)]
        self.inplanes = planes * Bottleneck.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.stages(self.pool(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-dir", required=True)
    parser.add_argument("--val-dir", required=True)
    parser.add_argument("--width-mult", type=float, default=0.75)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    norm = transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    train_set = datasets.ImageFolder(args.train_dir, transforms.Compose([
        transforms.RandomResizedCrop(192), transforms.ColorJitter(0.3, 0.3, 0.3), transforms.ToTensor(), norm]))
    val_set = datasets.ImageFolder(args.val_dir, transforms.Compose([
        transforms.Resize(220), transforms.CenterCrop(192), transforms.ToTensor(), norm]))
    train_loader = DataLoader(train_set, args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(val_set, 256, num_workers=8)

    model = ResNetW(len(train_set.classes), args.width_mult).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-5)
    for epoch in range(args.epochs):
        model.train()
        for images, labels in train_loader:
            loss = F.cross_entropy(model(images.to(device)), labels.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(x.to(device)).argmax(1).cpu() == y).sum().item() for x, y in val_loader)
        print(f"epoch {epoch}: val acc {correct / len(val_set):.4f}")


if __name__ == "__main__":
    main()
