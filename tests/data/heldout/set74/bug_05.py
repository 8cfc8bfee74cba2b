"""Shape classification with a dataclass-driven configuration."""
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


@dataclass
class TrainConfig:
    num_train: int = 4001
    num_val: int = 500
    batch_size: int = 16
    eval_batch_size: int = 100
    epochs: int = 8
    lr: float = 3e-4
    image_size: int = 48
    widths: list = field(default_factory=lambda: [24, 48, 96])


class SyntheticShapes(Dataset):
    """Squares vs. discs vs. crosses, drawn on the fly from the index."""

    def __init__(self, num_samples, image_size, seed=0):
        self.num_samples = num_samples
        self.image_size = image_size
        self.seed = seed

    def __len__(self):
        return self.num_samples

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + idx)
        size = self.image_size
        label = idx % 3
        img = 0.1 * torch.randn(1, size, size, generator=g)
        c = torch.randint(size // 4, 3 * size // 4, (2,), generator=g)
        r = size // 6
        yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
        if label == 0:
            mask = ((yy - c[0]).abs() <= r) & ((xx - c[1]).abs() <= r)
        elif label == 1:
            mask = (yy - c[0]) ** 2 + (xx - c[1]) ** 2 <= r * r
        else:
            mask = ((yy - c[0]).abs() <= 1) | ((xx - c[1]).abs() <= 1)
        img[0][mask] += 1.0
        return img, label


class ShapeNet(nn.Module):
    def __init__(self, widths, num_classes=3):
        super().__init__()
        blocks = []
        in_ch = 1
        for w in widths:
            blocks += [
                nn.Conv2d(in_ch, w, 3, padding=1, bias=False),
                nn.BatchNorm2d(w),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            in_ch = w
        self.features = nn.Sequential(*blocks)
        self.head = nn.Linear(in_ch, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.head(x)


def train(cfg: TrainConfig):
    train_set = SyntheticShapes(cfg.num_train, cfg.image_size, seed=0)
    val_set = SyntheticShapes(cfg.num_val, cfg.image_size, seed=1)
    train_loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True, num_workers=2)  # expect: BN302
    val_loader = DataLoader(val_set, batch_size=cfg.eval_batch_size, num_workers=2)

    model = ShapeNet(cfg.widths)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    for epoch in range(cfg.epochs):
        model.train()
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()

        model.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in val_loader:
                correct += (model(images).argmax(1) == labels).sum().item()
        print(f"epoch {epoch}: loss {loss.item():.3f} val acc {correct / len(val_set):.3f}")
    return model


if __name__ == "__main__":
    cfg = TrainConfig()
    trained = train(cfg)
    torch.save(trained.state_dict(), "shapenet.pt")
