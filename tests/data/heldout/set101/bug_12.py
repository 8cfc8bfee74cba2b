"""R3D-18 (3-D ResNet) for action recognition on 16-frame clips + training script."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from clips import ClipDataset  # project-local dataset: (3, 16, 112, 112) clips


def conv3x3x3(in_planes, out_planes, stride=1):
    return nn.Conv3d(in_planes, out_planes, kernel_size=3, stride=stride,
                     padding=1, bias=False)


def conv1x1x1(in_planes, out_planes, stride=1):
    return nn.Conv3d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock3d(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = conv3x3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)  # expect: BN202
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + residual)


class R3D(nn.Module):
    def __init__(self, layers=(2, 2, 2, 2), block_inplanes=(64, 128, 256, 512),
                 num_classes=101, widen_factor=1.0):
        super().__init__()
        block_inplanes = [int(x * widen_factor) for x in block_inplanes]
        self.in_planes = block_inplanes[0]
        self.stem = nn.Sequential(
            nn.Conv3d(3, self.in_planes, kernel_size=(3, 7, 7), stride=(1, 2, 2),
                      padding=(1, 3, 3), bias=False),
            nn.BatchNorm3d(self.in_planes),
            nn.ReLU(inplace=True),
            nn.MaxPool3d(kernel_size=3, stride=2, padding=1),
        )
        self.layer1 = self._make_layer(block_inplanes[0], layers[0])
        self.layer2 = self._make_layer(block_inplanes[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block_inplanes[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block_inplanes[3], layers[3], stride=2)
        self.fc = nn.Linear(block_inplanes[3] * BasicBlock3d.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.in_planes != planes * BasicBlock3d.expansion:
            downsample = nn.Sequential(
                conv1x1x1(self.in_planes, planes * BasicBlock3d.expansion, stride),
                nn.BatchNorm3d(planes * BasicBlock3d.expansion),
            )
        layers = [BasicBlock3d(self.in_planes, planes, stride, downsample)]
        self.in_planes = planes * BasicBlock3d.expansion
        layers += [BasicBlock3d(self.in_planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))
        x = F.adaptive_avg_pool3d(x, 1).flatten(1)
        return self.fc(x)


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for clips, labels in loader:
            preds = model(clips.to(device)).argmax(1)
            correct += (preds.cpu() == labels).sum().item()
            total += labels.numel()
    return correct / max(total, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="data/ucf101")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()

    device = torch.device("cuda")
    model = R3D().to(device)
    train_set = ClipDataset(args.root, split="train")
    val_set = ClipDataset(args.root, split="val")
    train_loader = DataLoader(train_set, batch_size=4, shuffle=True, num_workers=8)  # expect: BN301
    val_loader = DataLoader(val_set, batch_size=16, num_workers=8)

    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9,
                                weight_decay=5e-4)
    for epoch in range(args.epochs):
        model.train()
        for clips, labels in train_loader:
            clips, labels = clips.to(device), labels.to(device)
            loss = F.cross_entropy(model(clips), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: val acc {acc:.3f}")


if __name__ == "__main__":
    main()
