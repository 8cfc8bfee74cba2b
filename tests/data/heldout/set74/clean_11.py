"""Galaxy morphology classifier trained on a fixed index split of one catalogue tensor."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset, TensorDataset

CATALOGUE_SIZE = 4097
TRAIN_END = 3584
BATCH_SIZE = 64
MORPH_CLASSES = 5


def build_catalogue(seed=2024):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, MORPH_CLASSES, (CATALOGUE_SIZE,), generator=g)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 48), torch.linspace(-1, 1, 48), indexing="ij")
    radius = (yy ** 2 + xx ** 2).sqrt()
    angle = torch.atan2(yy, xx)
    arms = (labels.float() + 1.0)[:, None, None]
    images = torch.exp(-radius * 3)[None] * (1 + torch.cos(arms * angle[None] + radius[None] * 6))
    images = images + 0.1 * torch.randn(CATALOGUE_SIZE, 48, 48, generator=g)
    return TensorDataset(images.unsqueeze(1), labels)


class GalaxyNet(nn.Module):
    def __init__(self, num_classes=MORPH_CLASSES):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128 * 6 * 6, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(256, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def evaluate(model, loader):
    model.eval()
    confusion = torch.zeros(MORPH_CLASSES, MORPH_CLASSES, dtype=torch.long)
    with torch.no_grad():
        for x, y in loader:
            pred = model(x).argmax(1)
            for t, p in zip(y.tolist(), pred.tolist()):
                confusion[t, p] += 1
    return confusion


def main():
    catalogue = build_catalogue()
    train_set = Subset(catalogue, range(TRAIN_END))
    test_set = Subset(catalogue, range(TRAIN_END, CATALOGUE_SIZE))
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=BATCH_SIZE)

    model = GalaxyNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    for epoch in range(20):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        confusion = evaluate(model, test_loader)
        acc = confusion.diag().sum().item() / confusion.sum().item()
        print(f"epoch {epoch:2d}: loss {loss.item():.4f} test acc {acc:.3f}")

    print("confusion matrix (rows = truth):")
    print(confusion)


if __name__ == "__main__":
    main()
