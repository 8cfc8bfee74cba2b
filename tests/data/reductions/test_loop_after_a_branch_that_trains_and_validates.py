import os

import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(16, 8)

    def forward(self, x):
        return self.fc(self.body(x).flatten(1))


def main(train_loader, val_loader, test_loader, path="m3.pth"):
    model = Net()
    if not os.path.exists(path):
        optimizer = torch.optim.Adam(model.parameters())
        for epoch in range(10):
            for images, labels in train_loader:
                optimizer.zero_grad()
                nn.functional.cross_entropy(model(images), labels).backward()
                optimizer.step()
            with torch.no_grad():
                val_correct = sum((model(x).argmax(1) == y).sum().item() for x, y in val_loader)
            print(epoch, val_correct)
        torch.save(model.state_dict(), path)
    else:
        model.load_state_dict(torch.load(path))
    test_correct = 0
    with torch.no_grad():
        for images, labels in test_loader:
            test_correct += (model(images).argmax(1) == labels).sum().item()
    return test_correct
