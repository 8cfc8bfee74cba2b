import torch
from torch import nn

from models import IDEModel


def main(train_loader, epochs):
    model = IDEModel()
    for p in model.base.named_parameters():
        if "bn" in p[0] or p[0].startswith("1."):
            p[1].requires_grad = False
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        for images, labels in train_loader:
            loss = criterion(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
