"""Train a compact classifier for the edge device and prepare it for
post-training quantization (conv-bn-relu fusion)."""
import argparse
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def cbr(cin, cout, stride=1):
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(cin, cout, 3, stride, 1, bias=False)),
        ("bn", nn.BatchNorm2d(cout)),
        ("relu", nn.ReLU(inplace=False)),
    ]))


class EdgeNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.s1 = cbr(3, 32, 2)
        self.s2 = cbr(32, 64, 2)
        self.s3 = cbr(64, 128, 2)
        self.s4 = cbr(128, 128, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, num_classes)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.s4(self.s3(self.s2(self.s1(x))))
        x = self.fc(torch.flatten(self.pool(x), 1))
        return self.dequant(x)


def make_validator(model, loader, device):
    model.eval()
    criterion = nn.CrossEntropyLoss(reduction="sum")

    def run():
        loss_sum, correct, seen = 0.0, 0, 0
        with torch.no_grad():
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                out = model(x)  # expect: BN101
                loss_sum += criterion(out, y).item()
                correct += (out.argmax(1) == y).sum().item()
                seen += y.numel()
        return loss_sum / seen, correct / seen

    return run


def train_one_epoch(model, loader, optimizer, scheduler, device):
    model.train()
    for i, (x, y) in enumerate(loader):
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if i % 200 == 0:
            print(f"  it {i:5d} loss {loss.item():.4f}")


def build_loaders(root, batch_size):
    norm = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))
    train = datasets.CIFAR10(root, train=True, transform=transforms.Compose([
        transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), norm]))
    test = datasets.CIFAR10(root, train=False, transform=transforms.Compose([
        transforms.ToTensor(), norm]))
    return (DataLoader(train, batch_size=batch_size, shuffle=True, drop_last=True, num_workers=4),
            DataLoader(test, batch_size=1000, num_workers=4))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="data")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--out", default="edgenet_fused.pt")
    args = p.parse_args()
    device = torch.device("cpu")

    train_loader, test_loader = build_loaders(args.root, args.batch_size)
    model = EdgeNet().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=4e-5)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=0.1, epochs=args.epochs, steps_per_epoch=len(train_loader))
    validate = make_validator(model, test_loader, device)

    for epoch in range(args.epochs):
        train_one_epoch(model, train_loader, optimizer, scheduler, device)
        val_loss, val_acc = validate()
        print(f"epoch {epoch}: val loss {val_loss:.4f} acc {val_acc:.4f}")

    groups = [[f"s{i}.conv", f"s{i}.bn", f"s{i}.relu"] for i in range(1, 5)]
    fused = torch.ao.quantization.fuse_modules(model, groups)  # expect: BN104
    torch.save(fused.state_dict(), args.out)
    print(f"saved fused model to {args.out}")


if __name__ == "__main__":
    main()
