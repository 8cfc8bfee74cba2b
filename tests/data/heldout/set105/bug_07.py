"""Linear-probe evaluation of ImageNet features on CIFAR-100.

Only the last fully-connected layer is learned; the pretrained trunk is
frozen. Reports top-1 on the CIFAR-100 test split after every epoch and
exports a TorchScript module for the demo app at the end.
"""
import argparse
import json
from pathlib import Path

import torch
import torch.nn as nn
import torchvision.transforms as T
from torchvision import models as tvm
from torchvision.datasets import CIFAR100
from torch.utils.data import DataLoader


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("~/datasets").expanduser())
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--output", type=Path, default=Path("probe_out"))
    return parser.parse_args()


def make_loaders(args):
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    train_tf = T.Compose([T.Resize(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(mean, std)])
    test_tf = T.Compose([T.Resize(224), T.ToTensor(), T.Normalize(mean, std)])
    train = CIFAR100(args.data_dir, train=True, transform=train_tf, download=True)
    test = CIFAR100(args.data_dir, train=False, transform=test_tf, download=True)
    return (
        DataLoader(train, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, pin_memory=True),
        DataLoader(test, batch_size=args.batch_size, shuffle=False, num_workers=args.workers, pin_memory=True),
    )


def build_probe(num_classes=100):
    net = tvm.resnet50(weights=tvm.ResNet50_Weights.IMAGENET1K_V2)
    net.requires_grad_(False)  # expect: BN105
    net.fc = nn.Linear(net.fc.in_features, num_classes)  # new layer, trainable
    nn.init.zeros_(net.fc.bias)
    nn.init.normal_(net.fc.weight, std=0.01)
    return net


def top1(logits, target):
    return (logits.argmax(1) == target).float().sum().item()


def main():
    args = parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_loader, test_loader = make_loaders(args)
    net = build_probe().to(device)
    opt = torch.optim.SGD(net.fc.parameters(), lr=args.lr, momentum=0.9, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs * len(train_loader))
    loss_fn = nn.CrossEntropyLoss()

    history = []
    for epoch in range(1, args.epochs + 1):
        net.train()
        tr_loss = 0.0
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = loss_fn(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tr_loss += loss.item()

        net.eval()
        hits = 0.0
        with torch.no_grad():
            for x, y in test_loader:
                x, y = x.to(device), y.to(device)
                hits += top1(net(x), y)
        acc = hits / len(test_loader.dataset)
        history.append({"epoch": epoch, "loss": tr_loss / len(train_loader), "top1": acc})
        print(json.dumps(history[-1]))

    (args.output / "history.json").write_text(json.dumps(history, indent=2))
    net.eval()
    example = torch.randn(1, 3, 224, 224, device=device)
    traced = torch.jit.trace(net, example)
    traced.save(str(args.output / "probe_resnet50.pt"))


if __name__ == "__main__":
    main()
