"""Fashion-MNIST classifier: training plus two accuracy reports per epoch."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP


class SmallConvNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.head = nn.Linear(64 * 7 * 7, num_classes)

    def forward(self, x):
        return self.head(torch.flatten(self.body(x), 1))


def check_accuracy(model, loader, device):
    """Top-1 accuracy over `loader`."""
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            preds = model(images).argmax(dim=1)  # expect: BN101
            correct += (preds == labels).sum().item()
            total += labels.size(0)
    return correct / max(total, 1)


def run_validation(model, loader, device):
    if isinstance(model, DDP):
        model.module.eval()
    losses = []
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            logits = model(images)  # expect: BN101
            losses.append(F.cross_entropy(logits, labels).item())
    return sum(losses) / max(len(losses), 1)


def fit(model, train_loader, val_loader, epochs=20, device="cuda"):
    model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(epochs):
        model.train()
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
        acc = check_accuracy(model, val_loader, device)
        val_loss = run_validation(model, val_loader, device)
        print(f"epoch {epoch}: val_loss={val_loss:.4f} acc={acc:.4f}")
    return model
