"""Promoter / non-promoter classification of short (57-nt) DNA windows with a k-mer embedding CNN."""
import argparse
import csv
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

KMER = 3
ALPHABET = "ACGT"
VOCAB = {"".join(p): i + 1 for i, p in enumerate(
    (a + b + c) for a in ALPHABET for b in ALPHABET for c in ALPHABET)}


def tokenize(seq: str, max_len: int) -> torch.Tensor:
    ids = [VOCAB.get(seq[i:i + KMER], 0) for i in range(0, len(seq) - KMER + 1)]
    ids = ids[:max_len] + [0] * max(0, max_len - len(ids))
    return torch.tensor(ids, dtype=torch.long)


class SequenceCSV(Dataset):
    def __init__(self, path: Path, max_len=64, labelled=True):
        with open(path) as f:
            rows = list(csv.DictReader(f))
        self.ids = [r["id"] for r in rows]
        self.tokens = [tokenize(r["sequence"].upper(), max_len) for r in rows]
        self.labels = [int(r["label"]) for r in rows] if labelled else [0] * len(rows)

    def __len__(self):
        return len(self.tokens)

    def __getitem__(self, i):
        return self.tokens[i], self.labels[i]


class PromoterCNN(nn.Module):
    def __init__(self, emb_dim=64, channels=128, num_classes=2):
        super().__init__()
        self.embed = nn.Sequential(
            nn.Embedding(len(VOCAB) + 1, emb_dim, padding_idx=0),
            nn.BatchNorm1d(emb_dim),  # expect: BN203
            nn.Dropout(0.1),
        )
        self.conv = nn.Sequential(
            nn.Conv1d(emb_dim, channels, 9, padding=4, bias=False),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
            nn.MaxPool1d(3),
            nn.Conv1d(channels, channels, 9, padding=4, bias=False),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Linear(channels, 128, bias=False),
            nn.BatchNorm1d(128, momentum=0.99),  # expect: BN205
            nn.ReLU(),
            nn.Linear(128, num_classes),
        )

    def forward(self, tokens):
        x = self.embed(tokens)                      # (N, L, E)
        x = self.conv(x.transpose(1, 2))            # (N, C, L')
        return self.head(x.amax(dim=2))


def train(model, loader, val_loader, epochs, device):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    for epoch in range(epochs):
        model.train()
        for tokens, labels in loader:
            loss = F.cross_entropy(model(tokens.to(device)), labels.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        correct = total = 0
        with torch.no_grad():
            for tokens, labels in val_loader:
                correct += (model(tokens.to(device)).argmax(1).cpu() == labels).sum().item()
                total += labels.numel()
        print(f"epoch {epoch}: loss {loss.item():.4f} val acc {correct / total:.4f}")


@torch.no_grad()
def predict(model, loader, device):
    probs = []
    for tokens, _ in loader:
        logits = model(tokens.to(device))  # expect: BN101
        probs.append(F.softmax(logits, dim=1)[:, 1].cpu())
    return torch.cat(probs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("data/promoters"))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--ckpt", type=Path, default=Path("promoter_cnn.pt"))
    parser.add_argument("--predict", type=Path, default=None, help="CSV of unlabelled sequences to score")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = PromoterCNN().to(device)

    if args.predict is not None:
        model.load_state_dict(torch.load(args.ckpt, map_location=device))
        ds = SequenceCSV(args.predict, labelled=False)
        scores = predict(model, DataLoader(ds, batch_size=256), device)
        with open(args.predict.with_suffix(".scores.csv"), "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "promoter_probability"])
            writer.writerows(zip(ds.ids, scores.tolist()))
        return

    train_loader = DataLoader(SequenceCSV(args.data / "train.csv"), batch_size=64, shuffle=True, drop_last=True)
    val_loader = DataLoader(SequenceCSV(args.data / "val.csv"), batch_size=256)
    train(model, train_loader, val_loader, args.epochs, device)
    torch.save(model.state_dict(), args.ckpt)


if __name__ == "__main__":
    main()
