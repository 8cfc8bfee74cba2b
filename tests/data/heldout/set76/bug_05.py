#!/usr/bin/env python3
"""Post-training static quantization (eager mode) of the CIFAR-10 edge model.

Steps: load float checkpoint -> fuse conv/bn/relu -> attach qconfig ->
prepare observers -> calibrate on a few hundred training images -> convert
-> report int8 accuracy and size -> save TorchScript.
"""
import argparse
import os

import torch
import torch.nn as nn
from torch.ao.quantization import DeQuantStub, QuantStub, convert, get_default_qconfig, prepare
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms


class EdgeNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = QuantStub()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64, 0.1)  # expect: BN206
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128)
        self.relu3 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, num_classes)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.bn3(self.conv3(x)))
        x = self.pool(x).flatten(1)
        x = self.fc(x)
        return self.dequant(x)


FUSE_GROUPS = [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"], ["conv3", "bn3", "relu3"]]


def accuracy(model, loader):
    correct = total = 0
    with torch.no_grad():
        for images, targets in loader:
            preds = model(images).argmax(dim=1)
            correct += (preds == targets).sum().item()
            total += targets.numel()
    return correct / max(total, 1)


def size_mb(model):
    torch.save(model.state_dict(), "_tmp_size.pt")
    size = os.path.getsize("_tmp_size.pt") / 1e6
    os.remove("_tmp_size.pt")
    return size


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", default="./data")
    p.add_argument("--backend", default="x86", choices=["x86", "fbgemm", "qnnpack"])
    p.add_argument("--calib-images", type=int, default=512)
    p.add_argument("--output", default="edgenet_int8_ts.pt")
    return p.parse_args()


def main():
    args = parse_args()
    torch.backends.quantized.engine = args.backend
    norm = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
    tfm = transforms.Compose([transforms.ToTensor(), norm])
    train_set = datasets.CIFAR10(args.data, train=True, download=False, transform=tfm)
    test_set = datasets.CIFAR10(args.data, train=False, download=False, transform=tfm)
    calib_loader = DataLoader(Subset(train_set, range(args.calib_images)), batch_size=64)
    test_loader = DataLoader(test_set, batch_size=256, num_workers=4)

    model = EdgeNet()
    model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))

    model = torch.ao.quantization.fuse_modules(model, FUSE_GROUPS)  # expect: BN104
    model.eval()
    model.qconfig = get_default_qconfig(args.backend)
    prepared = prepare(model)

    with torch.no_grad():
        for images, _ in calib_loader:
            prepared(images)

    quantized = convert(prepared)
    int8_acc = accuracy(quantized, test_loader)
    print(f"int8 accuracy: {int8_acc:.4f}  size: {size_mb(quantized):.2f} MB")

    scripted = torch.jit.script(quantized)
    scripted.save(args.output)
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
