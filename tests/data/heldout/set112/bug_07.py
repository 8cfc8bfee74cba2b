# Siamese CNN for short-text similarity (duplicate question detection, toy version).
# Both questions go through the SAME encoder (shared weights); we train with a
# contrastive loss on the cosine distance of the two embeddings.
import argparse
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

VOCAB_SIZE = 5000
MAX_LEN = 64
EMB_DIM = 64
N_TRAIN_PAIRS = 8193
N_VAL_PAIRS = 1024
BATCH_SIZE = 64


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_synthetic_pairs(n, seed):
    """Positive pairs share most tokens; negatives are independent."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randint(1, VOCAB_SIZE, (n, MAX_LEN), generator=g)
    labels = torch.randint(0, 2, (n,), generator=g).float()
    b = torch.randint(1, VOCAB_SIZE, (n, MAX_LEN), generator=g)
    keep = torch.rand(n, MAX_LEN, generator=g) < 0.8
    pos = labels.bool().unsqueeze(1) & keep
    b = torch.where(pos, a, b)
    return TensorDataset(a, b, labels)


class TextEncoder(nn.Module):
    def __init__(self, vocab_size=VOCAB_SIZE, emb_dim=EMB_DIM, out_dim=128):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, emb_dim, padding_idx=0)
        self.bn_emb = nn.BatchNorm1d(emb_dim)
        self.conv = nn.Conv1d(emb_dim, 256, kernel_size=3, padding=1, bias=False)
        self.bn_conv = nn.BatchNorm1d(256)
        self.proj = nn.Linear(256, out_dim)

    def forward(self, tokens):
        x = self.embed(tokens)          # (N, L, E)
        x = self.bn_emb(x)  # expect: BN203
        x = x.transpose(1, 2)           # (N, E, L) for Conv1d
        x = F.relu(self.bn_conv(self.conv(x)))
        x = F.adaptive_max_pool1d(x, 1).squeeze(-1)
        return self.proj(x)


class SiameseNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = TextEncoder()

    def forward(self, a, b):
        return self.encoder(a), self.encoder(b)


def contrastive_loss(za, zb, label, margin=0.5):
    d = 1.0 - F.cosine_similarity(za, zb)
    return (label * d.pow(2) + (1 - label) * F.relu(margin - d).pow(2)).mean()


def validate(model, loader, device, threshold=0.25):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for a, b, y in loader:
            a, b, y = a.to(device), b.to(device), y.to(device)
            za, zb = model(a, b)
            pred = (1.0 - F.cosine_similarity(za, zb) < threshold).float()
            correct += (pred == y).sum().item()
            total += y.numel()
    return correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    seed_everything(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_ds = make_synthetic_pairs(N_TRAIN_PAIRS, seed=args.seed)
    val_ds = make_synthetic_pairs(N_VAL_PAIRS, seed=args.seed + 1)
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
    val_loader = DataLoader(val_ds, batch_size=BATCH_SIZE, shuffle=False)

    model = SiameseNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total_loss = 0.0
        for a, b, y in train_loader:
            a, b, y = a.to(device), b.to(device), y.to(device)
            za, zb = model(a, b)
            loss = contrastive_loss(za, zb, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * y.size(0)
        acc = validate(model, val_loader, device)
        print(f"epoch {epoch:02d} | loss {total_loss / len(train_ds):.4f} | val acc {acc:.3f}")

    torch.save(model.encoder.state_dict(), "siamese_text_encoder.pt")


if __name__ == "__main__":
    main()
