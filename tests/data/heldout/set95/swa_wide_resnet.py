"""WideResNet-16-8 on CIFAR-100 with Stochastic Weight Averaging.

The averaged weights never saw their own BN statistics, so after training
``torch.optim.swa_utils.update_bn`` makes one pass over the training data to
recompute them (it switches the model to train mode internally and restores
the previous mode when done), then the SWA model is evaluated in eval mode.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class WideBasic(nn.Module):
    def __init__(self, in_planes, planes, dropout, stride=1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, padding=1, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False))

    def forward(self, x):
        out = self.dropout(self.conv1(F.relu(self.bn1(x))))
        out = self.conv2(F.relu(self.bn2(out)))
        return out + self.shortcut(x)


class WideResNet(nn.Module):
    def __init__(self, depth=16, widen=8, dropout=0.3, num_classes=100):
        super().__init__()
        n = (depth - 4) // 6
        widths = [16, 16 * widen, 32 * widen, 64 * widen]
        self.conv1 = nn.Conv2d(3, widths[0], 3, padding=1, bias=False)
        layers, in_planes = [], widths[0]
        for i, (w, s) in enumerate(zip(widths[1:], (1, 2, 2))):
            for j in range(n):
                layers.append(WideBasic(in_planes, w, dropout, s if j == 0 else 1))
                in_planes = w
        self.layers = nn.Sequential(*layers)
        self.bn = nn.BatchNorm2d(widths[3])
        self.fc = nn.Linear(widths[3], num_classes)

    def forward(self, x):
        out = self.layers(self.conv1(x))
        out = F.relu(self.bn(out))
        return self.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
        total += y.numel()
    return correct / total


def loaders(batch_size):
    mean, std = (0.507, 0.487, 0.441), (0.267, 0.256, 0.276)
    train_tf = transforms.Compose([
        transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize(mean, std)])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    train = datasets.CIFAR100("data", train=True, download=True, transform=train_tf)
    test = datasets.CIFAR100("data", train=False, download=True, transform=test_tf)
    return (DataLoader(train, batch_size=batch_size, shuffle=True, num_workers=4, drop_last=True),
            DataLoader(test, batch_size=512, num_workers=4))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--swa-start", type=int, default=160)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--swa-lr", type=float, default=0.05)
    args = ap.parse_args()
    device = "cuda"

    train_loader, test_loader = loaders(args.batch_size)
    model = WideResNet().to(device)
    swa_model = AveragedModel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9,
                                weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.swa_start)
    swa_scheduler = SWALR(optimizer, swa_lr=args.swa_lr, anneal_epochs=5)

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if epoch >= args.swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
        if epoch % 10 == 9:
            print(f"epoch {epoch + 1}: test acc {100 * evaluate(model, test_loader, device):.2f}%")

    # recompute BN statistics for the averaged weights, then evaluate
    update_bn(train_loader, swa_model, device=device)
    swa_model.eval()
    with torch.no_grad():
        correct = total = 0
        for x, y in test_loader:
            logits = swa_model(x.to(device))
            correct += (logits.argmax(1).cpu() == y).sum().item()
            total += y.numel()
    print(f"SWA test acc {100 * correct / total:.2f}%")
    torch.save(swa_model.module.state_dict(), "wrn16_8_swa.pt")


if __name__ == "__main__":
    main()
