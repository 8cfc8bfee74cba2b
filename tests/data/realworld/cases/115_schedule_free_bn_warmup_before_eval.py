import itertools

import schedulefree
import torch
import torch.nn as nn
import torchvision


def evaluate(model, optimizer, train_loader, val_loader):
    # recompute BatchNorm statistics at the averaged weights before evaluating
    model.train()
    optimizer.eval()
    with torch.no_grad():
        for batch, _ in itertools.islice(train_loader, 50):
            model(batch)
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in val_loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.numel()
    return correct / total


def main(train_loader, val_loader, epochs=10):
    model = torchvision.models.resnet18(num_classes=10)
    optimizer = schedulefree.AdamWScheduleFree(model.parameters(), lr=0.0025)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        optimizer.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        print(epoch, evaluate(model, optimizer, train_loader, val_loader))
