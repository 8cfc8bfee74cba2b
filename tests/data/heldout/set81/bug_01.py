import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class PatchClassifier(nn.Module):
    def __init__(self, n_classes=2, width=32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1),  # expect: BN204
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, width * 2, 3, padding=1, bias=False),
            nn.BatchNorm2d(width * 2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width * 2, width * 4, 3, padding=1, bias=False),
            nn.BatchNorm2d(width * 4),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Linear(width * 4, n_classes)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


def train_one_epoch(model, loader, opt):
    model.train()
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def validate(model, loader):
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)  # expect: BN101
            correct += (logits.argmax(1) == y).sum().item()
            total += y.numel()
    return correct / total


def main():
    train_ds = TensorDataset(torch.randn(640, 3, 64, 64), torch.randint(0, 2, (640,)))
    val_ds = TensorDataset(torch.randn(128, 3, 64, 64), torch.randint(0, 2, (128,)))
    train_loader = DataLoader(train_ds, batch_size=32, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=64)
    model = PatchClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    best = 0.0
    for epoch in range(10):
        train_one_epoch(model, train_loader, opt)
        acc = validate(model, val_loader)
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "best.pt")
        print(f"epoch {epoch}: val acc {acc:.3f} (best {best:.3f})")


if __name__ == "__main__":
    main()
