import torch
import torch.nn as nn

from trades import trades_loss


def main(loader):
    model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(16, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for epoch in range(10):
        for x, y in loader:
            loss = trades_loss(model, x, y, optimizer)
            loss.backward()
            optimizer.step()
