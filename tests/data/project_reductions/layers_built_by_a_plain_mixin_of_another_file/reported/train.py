import torch

from detector import Detector


def validate(model, loader):
    total = 0.0
    with torch.no_grad():
        for images, targets in loader:
            total += ((model(images) - targets) ** 2).mean().item()
    return total / len(loader)


def fit(config, train_loader, val_loader):
    model = Detector(config)
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(50):
        model.train()
        for images, targets in train_loader:
            optimizer.zero_grad()
            ((model(images) - targets) ** 2).mean().backward()
            optimizer.step()
        print(validate(model, val_loader))
