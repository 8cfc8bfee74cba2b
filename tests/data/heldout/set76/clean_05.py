#!/usr/bin/env python3
"""Quantization-aware fine-tuning of the wake-word CNN, then int8 export.

Follows the eager-mode QAT recipe: fuse in training mode with the QAT
fuser, prepare_qat, fine-tune a few epochs, freeze observers and BN
statistics towards the end, convert an eval-mode copy each epoch and keep
the best int8 model.
"""
import argparse
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.quantization import (DeQuantStub, QuantStub, convert, disable_observer,
                                   fuse_modules_qat, get_default_qat_qconfig, prepare_qat)
from torch.ao.nn.intrinsic.qat import freeze_bn_stats
from torch.utils.data import DataLoader

from wakeword_data import WakeWordDataset  # project-local dataset of log-mel windows


class WakeNet(nn.Module):
    def __init__(self, num_classes=2):
        super().__init__()
        self.quant = QuantStub()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu2 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.fc(self.pool(x).flatten(1))
        return self.dequant(x)


def train_one_epoch(model, loader, optimizer):
    model.train()
    for feats, labels in loader:
        loss = F.cross_entropy(model(feats), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def evaluate(model, loader):
    correct = total = 0
    with torch.no_grad():
        for feats, labels in loader:
            correct += (model(feats).argmax(1) == labels).sum().item()
            total += labels.numel()
    return correct / max(total, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--float-checkpoint", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--output", default="wakenet_int8_ts.pt")
    args = p.parse_args()

    torch.backends.quantized.engine = "qnnpack"
    train_loader = DataLoader(WakeWordDataset(args.data, "train"), batch_size=args.batch_size,
                              shuffle=True, drop_last=True, num_workers=4)
    val_loader = DataLoader(WakeWordDataset(args.data, "val"), batch_size=256, num_workers=4)

    model = WakeNet()
    model.load_state_dict(torch.load(args.float_checkpoint, map_location="cpu"))
    model.train()
    model = fuse_modules_qat(model, [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"]])
    model.qconfig = get_default_qat_qconfig("qnnpack")
    prepare_qat(model, inplace=True)

    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    best_acc, best_int8 = -1.0, None
    for epoch in range(args.epochs):
        train_one_epoch(model, train_loader, optimizer)
        if epoch > 3:
            model.apply(disable_observer)
        if epoch > 2:
            model.apply(freeze_bn_stats)

        int8 = convert(copy.deepcopy(model).eval(), inplace=False)
        acc = evaluate(int8, val_loader)
        print(f"epoch {epoch}: int8 val acc {acc:.4f}")
        if acc > best_acc:
            best_acc, best_int8 = acc, int8

    torch.jit.save(torch.jit.script(best_int8), args.output)
    print(f"best int8 accuracy {best_acc:.4f}, saved {args.output}")


if __name__ == "__main__":
    main()
