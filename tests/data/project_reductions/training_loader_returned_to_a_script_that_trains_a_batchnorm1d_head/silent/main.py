import torch

from data import get_loaders
from net import Classifier


def main(dataset):
    train_loader, val_loader = get_loaders(dataset)
    model = Classifier()
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(10):
        model.train()
        for points, labels in train_loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(points), labels).backward()
            optimizer.step()
