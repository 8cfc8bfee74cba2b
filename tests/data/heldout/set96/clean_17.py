"""Domain-generalisation training: periodic validation on several held-out domains."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

EVAL_EVERY = 5


class DGNet(nn.Module):
    def __init__(self, num_classes=7):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
            nn.Conv2d(128, 256, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(256), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        return self.fc(self.features(x))


def domain_scores(model, val_loaders):
    model.eval()
    scores = {}
    for name, loader in val_loaders.items():          # may be empty: nothing evaluated then
        hits = n = 0
        with torch.no_grad():
            for x, y in loader:
                hits += (model(x).argmax(1) == y).sum().item()
                n += y.numel()
        scores[name] = hits / max(n, 1)
    return scores


def main(train_loader, val_loaders, test_loader):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--test", action="store_true")
    args = parser.parse_args()

    model = DGNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        if (epoch + 1) % EVAL_EVERY == 0:
            scores = domain_scores(model, val_loaders)
            print(f"epoch {epoch}: " + ", ".join(f"{k}={v:.3f}" for k, v in scores.items()))

    if args.test:
        model.eval()
        with torch.no_grad():
            correct = sum((model(x).argmax(1) == y).sum().item() for x, y in test_loader)
        print(f"test acc {correct / len(test_loader.dataset):.4f}")
    torch.save(model.state_dict(), "dgnet.pt")
