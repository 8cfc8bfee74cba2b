"""ResNet-20 for CIFAR-10, ported from a Chainer codebase.

Chainer's L.BatchNormalization(size, decay=0.9, eps=2e-5) keeps 90% of the
old running average; in PyTorch that is momentum=0.1. The Chainer Evaluator
extension switched to test mode only inside its own scope, so the ported
evaluator switches back to training mode before returning.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

CHAINER_DECAY = 0.9
CHAINER_EPS = 2e-5


def bn(size):
    return nn.BatchNorm2d(size, eps=CHAINER_EPS, momentum=1 - CHAINER_DECAY)


class BasicBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)   # nobias=True
        self.bn1 = bn(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = bn(out_ch)
        self.shortcut = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), bn(out_ch))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, n_class=10, n=3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = bn(16)
        stages, in_ch = [], 16
        for i, ch in enumerate((16, 32, 64)):
            for j in range(n):
                stages.append(BasicBlock(in_ch, ch, stride=2 if (j == 0 and i > 0) else 1))
                in_ch = ch
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(64, n_class)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.stages(h)
        return self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))


def run_evaluator(model, loader, device):
    """extensions.Evaluator: runs with chainer.config.train = False, then restores it."""
    model.eval()
    loss_sum, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, t in loader:
            x, t = x.to(device), t.to(device)
            y = model(x)
            loss_sum += F.cross_entropy(y, t, reduction="sum").item()
            correct += (y.argmax(1) == t).sum().item()
            n += t.numel()
    model.train()
    return {"validation/main/loss": loss_sum / n, "validation/main/accuracy": correct / n}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batchsize", "-b", type=int, default=128)
    parser.add_argument("--epoch", "-e", type=int, default=182)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()

    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    train = datasets.CIFAR10(".", train=True, download=True, transform=transforms.Compose([
        transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize(mean, std)]))
    test = datasets.CIFAR10(".", train=False, download=True, transform=transforms.Compose([
        transforms.ToTensor(), transforms.Normalize(mean, std)]))
    train_iter = DataLoader(train, batch_size=args.batchsize, shuffle=True, num_workers=4)
    test_iter = DataLoader(test, batch_size=args.batchsize, shuffle=False)

    device = torch.device(args.device)
    model = ResNet20().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[91, 136], gamma=0.1)

    model.train()
    for epoch in range(1, args.epoch + 1):
        for x, t in train_iter:
            x, t = x.to(device), t.to(device)
            loss = F.cross_entropy(model(x), t)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        report = run_evaluator(model, test_iter, device)
        print(f"epoch {epoch}: " + ", ".join(f"{k}={v:.4f}" for k, v in report.items()))

    torch.save(model.state_dict(), "resnet20_cifar10.pt")


if __name__ == "__main__":
    main()
