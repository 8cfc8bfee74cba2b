"""Quantization-aware training for the MNIST/FashionMNIST edge model.

Flow (PyTorch eager-mode QAT):
    train()  -> fuse_modules_qat -> prepare_qat -> fine-tune with fake-quant
    -> freeze observers / BN stats for the last epochs -> eval() -> convert
"""
import argparse
import copy
import os

import torch
import torch.nn as nn
import torch.ao.quantization as tq
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class EdgeNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.relu3 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.bn3(self.conv3(x)))
        x = self.fc(torch.flatten(self.pool(x), 1))
        return self.dequant(x)


def train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    total = 0.0
    for images, labels in loader:
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


def evaluate(model, loader):
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
            n += labels.size(0)
    return correct / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fp32-ckpt", default="edgenet_fp32.pth")
    parser.add_argument("--data", default="./data")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--freeze-bn-epoch", type=int, default=5)
    parser.add_argument("--freeze-observer-epoch", type=int, default=6)
    parser.add_argument("--out", default="edgenet_int8_qat.pt")
    args = parser.parse_args()

    tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))])
    train_set = datasets.FashionMNIST(args.data, train=True, download=True, transform=tfm)
    test_set = datasets.FashionMNIST(args.data, train=False, download=True, transform=tfm)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, num_workers=2, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=500, num_workers=2)

    model = EdgeNet()
    model.load_state_dict(torch.load(args.fp32_ckpt, map_location="cpu"))

    # QAT fusion must be done on a model in training mode
    model.train()
    tq.fuse_modules_qat(model, [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"], ["conv3", "bn3", "relu3"]], inplace=True)
    model.qconfig = tq.get_default_qat_qconfig("qnnpack")
    tq.prepare_qat(model, inplace=True)

    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        loss = train_one_epoch(model, train_loader, optimizer, criterion)
        if epoch >= args.freeze_observer_epoch:
            model.apply(tq.disable_observer)
        if epoch >= args.freeze_bn_epoch:
            model.apply(torch.ao.nn.intrinsic.qat.freeze_bn_stats)

        # evaluate an int8 snapshot without touching the model being trained
        snapshot = tq.convert(copy.deepcopy(model).eval(), inplace=False)
        acc = evaluate(snapshot, test_loader)
        print(f"epoch {epoch}: loss {loss:.4f}  int8 acc {acc:.4f}")

    model.eval()
    torch.backends.quantized.engine = "qnnpack"
    quantized = tq.convert(model, inplace=False)
    print(f"final int8 accuracy: {evaluate(quantized, test_loader):.4f}")

    torch.jit.save(torch.jit.script(quantized), args.out)
    print("saved", args.out, f"({os.path.getsize(args.out) / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
