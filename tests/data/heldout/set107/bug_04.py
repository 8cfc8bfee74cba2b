"""Post-training static quantization (eager mode) of the CIFAR-10 QuantNet.

Follows the PyTorch static quantization tutorial: fuse -> prepare ->
calibrate -> convert, then compares accuracy and model size.
"""
import argparse
import os
import time

import torch
import torch.nn as nn
from torch.ao.quantization import DeQuantStub, QuantStub, convert, fuse_modules, get_default_qconfig, prepare
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class QuantNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = QuantStub()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32, momentum=0.99)  # expect: BN205
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
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
        x = torch.flatten(self.pool(x), 1)
        x = self.fc(x)
        return self.dequant(x)


FUSE_PATTERNS = [
    ["conv1", "bn1", "relu1"],
    ["conv2", "bn2", "relu2"],
    ["conv3", "bn3", "relu3"],
]


def calibrate(model, loader, num_batches):
    with torch.no_grad():
        for i, (images, _) in enumerate(loader):
            model(images)
            if i + 1 >= num_batches:
                break


def evaluate(model, loader):
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            preds = model(images).argmax(dim=1)
            correct += (preds == labels).sum().item()
            total += labels.numel()
    return correct / max(total, 1)


def size_on_disk_mb(model, tmp="tmp_size.pt"):
    torch.save(model.state_dict(), tmp)
    size = os.path.getsize(tmp) / 1e6
    os.remove(tmp)
    return size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", default="checkpoints/quantnet_fp32.pth")
    parser.add_argument("--data", default="./data")
    parser.add_argument("--backend", default="fbgemm", choices=["fbgemm", "qnnpack", "x86"])
    parser.add_argument("--calib-batches", type=int, default=32)
    parser.add_argument("--out", default="quantnet_int8.pt")
    args = parser.parse_args()

    tfm = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    ])
    calib_set = datasets.CIFAR10(args.data, train=True, download=True, transform=tfm)
    test_set = datasets.CIFAR10(args.data, train=False, download=True, transform=tfm)
    calib_loader = DataLoader(calib_set, batch_size=64, shuffle=True, num_workers=2)
    test_loader = DataLoader(test_set, batch_size=256, num_workers=2)

    model = QuantNet()
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    print(f"fp32 size: {size_on_disk_mb(model):.2f} MB")

    fuse_modules(model, FUSE_PATTERNS, inplace=True)  # expect: BN104
    model.eval()

    torch.backends.quantized.engine = args.backend
    model.qconfig = get_default_qconfig(args.backend)
    prepare(model, inplace=True)

    t0 = time.time()
    calibrate(model, calib_loader, args.calib_batches)
    print(f"calibration took {time.time() - t0:.1f}s")

    convert(model, inplace=True)
    print(f"int8 size: {size_on_disk_mb(model):.2f} MB")
    print(f"int8 accuracy: {evaluate(model, test_loader):.4f}")

    torch.jit.save(torch.jit.script(model), args.out)
    print("saved", args.out)


if __name__ == "__main__":
    main()
