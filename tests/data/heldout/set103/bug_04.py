#!/usr/bin/env python
"""
My first CNN on MNIST (blog post companion code).

Part 2 of the series: we add BatchNorm to the two-conv network from part 1
and look at how fast it converges. Run with `python mnist_bn.py --epochs 3`.
"""
import argparse
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
log = logging.getLogger("mnist-bn")


class ConvNet(nn.Module):
    def __init__(self, num_classes=10):
        super(ConvNet, self).__init__()
        self.layer1 = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=5, stride=1, padding=2, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2))
        self.layer2 = nn.Sequential(
            nn.Conv2d(16, 32, kernel_size=5, stride=1, padding=2, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2))
        self.fc = nn.Linear(7 * 7 * 32, num_classes)

    def forward(self, x):
        out = self.layer1(x)
        out = self.layer2(out)
        out = out.reshape(out.size(0), -1)
        out = self.fc(out)
        return out


def train(model, device, train_loader, optimizer, epoch, log_interval=100):
    model.train  # expect: BN102
    for batch_idx, (images, labels) in enumerate(train_loader):
        images, labels = images.to(device), labels.to(device)
        outputs = model(images)
        loss = F.cross_entropy(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if batch_idx % log_interval == 0:
            log.info("Epoch %d [%d/%d] loss=%.4f", epoch, batch_idx * len(images),
                     len(train_loader.dataset), loss.item())


def test(model, device, test_loader):
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for images, labels in test_loader:
            images, labels = images.to(device), labels.to(device)
            outputs = model(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    acc = 100.0 * correct / total
    log.info("Test Accuracy of the model on the 10000 test images: %.2f %%", acc)
    return acc


def main():
    parser = argparse.ArgumentParser(description="MNIST + BatchNorm")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--data", type=str, default="../../data/")
    parser.add_argument("--no-cuda", action="store_true")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() and not args.no_cuda else "cpu")

    # NOTE: batch size 1 = "pure" SGD, like in the lecture slides
    batch_size = 1

    train_dataset = datasets.MNIST(root=args.data, train=True, transform=transforms.ToTensor(), download=True)
    test_dataset = datasets.MNIST(root=args.data, train=False, transform=transforms.ToTensor())

    train_loader = DataLoader(dataset=train_dataset, batch_size=batch_size, shuffle=True)  # expect: BN301
    test_loader = DataLoader(dataset=test_dataset, batch_size=100, shuffle=False)

    model = ConvNet(num_classes=10).to(device)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        train(model, device, train_loader, optimizer, epoch)
    test(model, device, test_loader)

    torch.save(model.state_dict(), "mnist_bn.ckpt")


if __name__ == "__main__":
    main()
