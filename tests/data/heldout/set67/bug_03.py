"""Multimodal product categorizer: a CNN over the product photo plus a bag-of-tokens
encoder over the title, fused by an MLP."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from catalog_data import CatalogDataset  # project-local: (image (3, 96, 96), tokens (32,), label)

VOCAB = 30_000
EMB = 128
TITLE_LEN = 32


class ImageEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)  # expect: BN201
        self.conv3 = nn.Conv2d(128, 256, 3, stride=2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(256)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


class TitleEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Sequential(nn.Embedding(VOCAB, EMB, padding_idx=0), nn.BatchNorm1d(EMB))  # expect: BN203
        self.proj = nn.Linear(EMB, EMB)

    def forward(self, tokens):
        x = self.embed(tokens)
        mask = (tokens > 0).unsqueeze(-1).float()
        return self.proj((x * mask).sum(1) / mask.sum(1).clamp(min=1.0))


class ProductClassifier(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.image = ImageEncoder()
        self.title = TitleEncoder()
        self.fusion = nn.Sequential(
            nn.Linear(256 + EMB, 256, bias=False),
            nn.BatchNorm2d(256),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(256, num_classes),
        )

    def forward(self, image, tokens):
        return self.fusion(torch.cat([self.image(image), self.title(tokens)], dim=1))


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for image, tokens, label in loader:
        logits = model(image.to(device), tokens.to(device))
        correct += (logits.argmax(1).cpu() == label).sum().item()
        total += label.numel()
    return correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="catalog")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_set = CatalogDataset(args.root, "train", title_len=TITLE_LEN)
    val_set = CatalogDataset(args.root, "val", title_len=TITLE_LEN)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=6, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=256, num_workers=6)

    model = ProductClassifier(train_set.num_classes).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    for epoch in range(args.epochs):
        model.train()
        for image, tokens, label in train_loader:
            logits = model(image.to(device), tokens.to(device))
            loss = F.cross_entropy(logits, label.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: val acc {evaluate(model, val_loader, device):.4f}")


if __name__ == "__main__":
    main()
