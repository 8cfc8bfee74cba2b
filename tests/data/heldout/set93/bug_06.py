"""SE-ResNet(-D) model zoo plus a fine-grained classification training CLI.

    python bug_06.py --arch se_resnet50d --image-size 448 --epochs 60
"""
from __future__ import annotations

import argparse
import logging
import os
from functools import partial
from typing import Callable, Dict, List, Optional, Type, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

log = logging.getLogger("zoo")
NormLayer = Callable[[int], nn.Module]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 3, stride, 1, groups=groups, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 1, stride, bias=False)


class SEModule(nn.Module):
    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.adaptive_avg_pool2d(x, 1)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s), inplace=True)))


class SEBasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None,
                 groups: int = 1, base_width: int = 64, norm_layer: NormLayer = nn.BatchNorm2d) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.se = SEModule(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.se(self.bn2(self.conv2(out)))
        return F.relu(out + identity, inplace=True)


class SEBottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None,
                 groups: int = 1, base_width: int = 64, norm_layer: NormLayer = nn.BatchNorm2d) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes)  # expect: BN201
        self.se = SEModule(planes * self.expansion)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = F.relu(self.bn2(self.conv2(out)), inplace=True)
        out = self.se(self.bn3(self.conv3(out)))
        return F.relu(out + identity, inplace=True)


class SEResNet(nn.Module):
    """ResNet-D variant: deep stem and avg-pool shortcut downsampling."""

    def __init__(self, block: Type[Union[SEBasicBlock, SEBottleneck]], layers: List[int],
                 num_classes: int = 1000, groups: int = 1, width_per_group: int = 64,
                 norm_layer: Optional[NormLayer] = None) -> None:
        super().__init__()
        self.norm_layer = norm_layer or nn.BatchNorm2d
        self.groups, self.base_width = groups, width_per_group
        stem_width = 32
        self.stem = nn.Sequential(
            conv3x3(3, stem_width, stride=2), self.norm_layer(stem_width), nn.ReLU(inplace=True),
            conv3x3(stem_width, stem_width), self.norm_layer(stem_width), nn.ReLU(inplace=True),
            conv3x3(stem_width, 2 * stem_width), self.norm_layer(2 * stem_width), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        self.inplanes = 2 * stem_width
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.num_features = 512 * block.expansion
        self.fc = nn.Linear(self.num_features, num_classes)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity(),
                conv1x1(self.inplanes, planes * block.expansion),
                self.norm_layer(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, self.norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                norm_layer=self.norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


MODELS: Dict[str, Callable[..., SEResNet]] = {
    "se_resnet18d": partial(SEResNet, SEBasicBlock, [2, 2, 2, 2]),
    "se_resnet34d": partial(SEResNet, SEBasicBlock, [3, 4, 6, 3]),
    "se_resnet50d": partial(SEResNet, SEBottleneck, [3, 4, 6, 3]),
    "se_resnext50d_32x4d": partial(SEResNet, SEBottleneck, [3, 4, 6, 3], groups=32, width_per_group=4),
}


def create_model(name: str, **kwargs) -> SEResNet:
    if name not in MODELS:
        raise ValueError(f"unknown arch {name}; choose from {', '.join(MODELS)}")
    return MODELS[name](**kwargs)


# ---------------------------------------------------------------- training
class BirdsDataset(Dataset):
    def __init__(self, n: int, image_size: int, num_classes: int = 200) -> None:
        self.n, self.size, self.k = n, image_size, num_classes

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return torch.randn(3, self.size, self.size, generator=g), i % self.k


def train_epoch(model, loader, optimizer, scaler, device) -> float:
    model.train()
    total = 0.0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        with torch.autocast(device.type, dtype=torch.float16, enabled=device.type == "cuda"):
            loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        total += loss.item()
    return total / len(loader)


@torch.no_grad()
def evaluate(model, loader, device) -> float:
    model.eval()
    correct = total = 0
    for images, labels in loader:
        pred = model(images.to(device)).argmax(1).cpu()
        correct += (pred == labels).sum().item()
        total += labels.numel()
    return correct / total


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="se_resnet50d", choices=sorted(MODELS))
    p.add_argument("--image-size", type=int, default=448)
    p.add_argument("--batch-size", type=int, default=4, help="high resolution: keep it small")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--pretrained", default=None)
    p.add_argument("--out", default="birds_best.pt")
    args = p.parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_set = BirdsDataset(5_994, args.image_size)
    test_set = BirdsDataset(5_794, args.image_size)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)  # expect: BN301
    test_loader = DataLoader(test_set, batch_size=32, num_workers=8)

    model = create_model(args.arch, num_classes=200)
    if args.pretrained:
        state = torch.load(args.pretrained, map_location="cpu")
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
        model.load_state_dict(state, strict=False)
    model.to(device)

    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    scaler = torch.cuda.amp.GradScaler(enabled=device.type == "cuda")
    best = 0.0
    for epoch in range(args.epochs):
        loss = train_epoch(model, train_loader, optimizer, scaler, device)
        acc = evaluate(model, test_loader, device)
        scheduler.step()
        log.info("epoch %d loss %.4f top1 %.4f", epoch, loss, acc)
        if acc > best:
            best = acc
            torch.save(model.state_dict(), args.out)
    log.info("best top1 %.4f -> %s", best, os.path.abspath(args.out))


if __name__ == "__main__":
    main()
