"""Resumable training with early stopping; the final test works even if no epoch runs."""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

EPOCHS = 40
PATIENCE = 5
CKPT = "checkpoints/last.pt"


class Net(nn.Module):
    def __init__(self, num_classes=100):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        return self.fc(self.features(x))


def accuracy(model, loader, device):
    """Accuracy on `loader`; restores the caller's train/eval mode afterwards."""
    was_training = model.training
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
    model.train(was_training)
    return correct / len(loader.dataset)


def main(train_loader, val_loader, test_loader, device="cuda"):
    model = Net().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    start_epoch, best, bad_epochs = 0, 0.0, 0
    if os.path.exists(CKPT):
        state = torch.load(CKPT, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, best = state["epoch"] + 1, state["best"]

    model.train()
    epoch = start_epoch
    while epoch < EPOCHS and bad_epochs < PATIENCE:
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        acc = accuracy(model, val_loader, device)
        if acc > best:
            best, bad_epochs = acc, 0
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "epoch": epoch, "best": best}, CKPT)
        else:
            bad_epochs += 1
        epoch += 1

    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in test_loader:
            logits = model(x.to(device))
            correct += (logits.argmax(1) == y.to(device)).sum().item()
    print(f"test acc {correct / len(test_loader.dataset):.4f} (best val {best:.4f})")
