"""DenseNet-BC (k=12, depth 100) for CIFAR-100.

Port of the Lua/Torch7 reference implementation (liuzhuang13/DenseNet) with
the width bookkeeping done by hand: every dense layer adds `growth_rate`
channels, every transition layer compresses by `reduction`.
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class Bottleneck(nn.Module):
    """BN-ReLU-Conv(1x1, 4k) -> BN-ReLU-Conv(3x3, k)."""

    def __init__(self, in_planes, growth_rate=12):
        super().__init__()
        inter_planes = 4 * growth_rate
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, inter_planes, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(growth_rate)  # expect: BN201
        self.conv2 = nn.Conv2d(inter_planes, growth_rate, kernel_size=3, padding=1, bias=False)

    def forward(self, x):
        out = self.conv1(F.relu(self.bn1(x)))
        out = self.conv2(F.relu(self.bn2(out)))
        return torch.cat([out, x], 1)


class Transition(nn.Module):
    def __init__(self, in_planes, out_planes):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_planes)
        self.conv = nn.Conv2d(in_planes, out_planes, kernel_size=1, bias=False)

    def forward(self, x):
        return F.avg_pool2d(self.conv(F.relu(self.bn(x))), 2)


class DenseNetBC(nn.Module):
    def __init__(self, depth=100, growth_rate=12, reduction=0.5, num_classes=100):
        super().__init__()
        n_layers = (depth - 4) // 6          # bottleneck layers per dense block
        num_planes = 2 * growth_rate
        self.conv1 = nn.Conv2d(3, num_planes, kernel_size=3, padding=1, bias=False)

        self.dense1 = self._make_dense(num_planes, growth_rate, n_layers)
        num_planes += n_layers * growth_rate
        out_planes = int(math.floor(num_planes * reduction))
        self.trans1 = Transition(num_planes, out_planes)
        num_planes = out_planes

        self.dense2 = self._make_dense(num_planes, growth_rate, n_layers)
        num_planes += n_layers * growth_rate
        out_planes = int(math.floor(num_planes * reduction))
        self.trans2 = Transition(num_planes, out_planes)
        num_planes = out_planes

        self.dense3 = self._make_dense(num_planes, growth_rate, n_layers)
        num_planes += n_layers * growth_rate

        self.bn = nn.BatchNorm2d(num_planes)
        self.linear = nn.Linear(num_planes, num_classes)

    @staticmethod
    def _make_dense(in_planes, growth_rate, n_layers):
        layers = []
        for _ in range(n_layers):
            layers.append(Bottleneck(in_planes, growth_rate))
            in_planes += growth_rate
        return nn.Sequential(*layers)

    def forward(self, x):
        out = self.conv1(x)
        out = self.trans1(self.dense1(out))
        out = self.trans2(self.dense2(out))
        out = self.dense3(out)
        out = F.adaptive_avg_pool2d(F.relu(self.bn(out)), 1).flatten(1)
        return self.linear(out)


def evaluate(model, loader, device):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return correct / len(loader.dataset)


def main():
    parser = argparse.ArgumentParser(description="DenseNet-BC on CIFAR-100")
    parser.add_argument("--batch-size", type=int, default=4, help="fits on my laptop GPU")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    norm = transforms.Normalize((0.507, 0.487, 0.441), (0.267, 0.256, 0.276))
    train_set = datasets.CIFAR100("data", train=True, download=True, transform=transforms.Compose([
        transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), norm]))
    test_set = datasets.CIFAR100("data", train=False, download=True,
                                 transform=transforms.Compose([transforms.ToTensor(), norm]))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=2)  # expect: BN301
    test_loader = DataLoader(test_set, batch_size=200, shuffle=False, num_workers=2)

    model = DenseNetBC(depth=100, growth_rate=12, reduction=0.5, num_classes=100).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9,
                                weight_decay=1e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(
        optimizer, milestones=[args.epochs // 2, args.epochs * 3 // 4], gamma=0.1)

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = evaluate(model, test_loader, device)
        print(f"epoch {epoch:3d}  test acc {acc:.4f}")


if __name__ == "__main__":
    main()
