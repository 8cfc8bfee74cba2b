"""CIFAR-10 baseline with a context manager that handles train/eval switching.

Evaluation code never calls .eval() directly; the `evaluating` context
manager does it and restores the previous mode on exit.
"""
import contextlib
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
import torchvision
import torchvision.transforms as T


@contextlib.contextmanager
def evaluating(net):
    """Temporarily switch `net` to eval mode, restoring the previous mode on exit."""
    was_training = net.training
    net.eval()
    try:
        yield net
    finally:
        net.train(was_training)


class SmallNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(torch.flatten(x, 1))


def accuracy(net, loader, device):
    correct = total = 0
    with evaluating(net), torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            preds = net(images).argmax(dim=1)
            correct += (preds == labels).sum().item()
            total += labels.numel()
    return correct / max(total, 1)


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    norm = T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), norm])
    test_tf = T.Compose([T.ToTensor(), norm])

    train_set = torchvision.datasets.CIFAR10("./data", train=True, download=True, transform=train_tf)
    test_set = torchvision.datasets.CIFAR10("./data", train=False, download=True, transform=test_tf)
    train_loader = DataLoader(train_set, batch_size=128, shuffle=True, num_workers=4)
    test_loader = DataLoader(test_set, batch_size=256, num_workers=4)

    net = SmallNet().to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=30 * len(train_loader))

    net.train()
    for epoch in range(30):
        t0 = time.time()
        running = 0.0
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(net(images), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            running += loss.item()
        acc = accuracy(net, test_loader, device)
        print(f"epoch {epoch:2d} loss {running / len(train_loader):.3f} "
              f"test acc {acc:.4f} ({time.time() - t0:.0f}s)")

    torch.save(net.state_dict(), "smallnet_cifar10.pt")


if __name__ == "__main__":
    main()
