import torch
import torch.nn as nn

from engine import step


def build():
    return nn.Sequential(nn.Conv2d(1, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))


def main(train_loader, valid_loader, epochs=10):
    model = build()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for epoch in range(epochs):
        model.train()
        for batch in train_loader:
            step(model, batch, criterion, optimizer, update=True)
        model.eval()
        valid_loss = 0.0
        for batch in valid_loader:
            valid_loss += step(model, batch, criterion, optimizer, update=False)
        print(epoch, valid_loss / len(valid_loader))
