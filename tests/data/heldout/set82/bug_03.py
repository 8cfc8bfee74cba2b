"""Activity recognition from smart-home sensor event streams (CASAS Aruba style).

Each sample is a window of discrete sensor events (sensor id + state, mapped to a
token id); the label is the resident's activity at the end of the window.
"""
import csv
import os
import random
from collections import Counter

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset

CONFIG = {
    "events_csv": "aruba_events.csv",
    "window": 64,
    "vocab_size": 128,
    "embed_dim": 64,
    "hidden": 96,
    "num_classes": 12,
    "batch_size": 64,
    "epochs": 25,
    "lr": 2e-3,
    "ckpt_dir": "checkpoints/har_gru",
}


def load_windows(path, window):
    rows = list(csv.DictReader(open(path)))
    tokens = [int(r["token"]) for r in rows]
    labels = [int(r["activity"]) for r in rows]
    samples = []
    for end in range(window, len(tokens), window // 2):
        samples.append((tokens[end - window:end], labels[end - 1]))
    return samples


class EventWindows(Dataset):
    def __init__(self, samples):
        self.samples = samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, idx):
        toks, label = self.samples[idx]
        return torch.tensor(toks, dtype=torch.long), label


def collate(batch):
    toks = pad_sequence([b[0] for b in batch], batch_first=True, padding_value=0)
    return toks, torch.tensor([b[1] for b in batch])


class EventGRU(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed = nn.Embedding(cfg["vocab_size"], cfg["embed_dim"], padding_idx=0)
        self.embed_bn = nn.BatchNorm1d(cfg["embed_dim"])
        self.gru = nn.GRU(cfg["embed_dim"], cfg["hidden"], num_layers=2,
                          batch_first=True, bidirectional=True, dropout=0.2)
        self.seq_bn = nn.BatchNorm1d(2 * cfg["hidden"])
        self.head = nn.Sequential(
            nn.Linear(2 * cfg["hidden"], 128, bias=False),
            nn.BatchNorm1d(128, momentum=0.99),  # expect: BN205
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(128, cfg["num_classes"]),
        )

    def forward(self, tokens):
        e = self.embed(tokens)          # (N, L, E)
        e = self.embed_bn(e)  # expect: BN203
        h, _ = self.gru(e)              # (N, L, 2H)
        h = self.seq_bn(h)  # expect: BN203
        pooled = h.mean(dim=1)
        return self.head(pooled)


def run_epoch(model, loader, optimizer, criterion, device):
    model.train()
    total, seen = 0.0, 0
    for toks, y in loader:
        toks, y = toks.to(device), y.to(device)
        optimizer.zero_grad()
        loss = criterion(model(toks), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        total += loss.item() * y.numel()
        seen += y.numel()
    return total / seen


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    hits, seen = 0, 0
    for toks, y in loader:
        pred = model(toks.to(device)).argmax(-1).cpu()
        hits += (pred == y).sum().item()
        seen += y.numel()
    return hits / seen


def main(cfg=CONFIG):
    random.seed(0)
    torch.manual_seed(0)
    samples = load_windows(cfg["events_csv"], cfg["window"])
    random.shuffle(samples)
    cut = int(0.85 * len(samples))
    train_s, val_s = samples[:cut], samples[cut:]
    print("label histogram:", Counter(l for _, l in train_s).most_common())

    train_loader = DataLoader(EventWindows(train_s), batch_size=cfg["batch_size"],
                              shuffle=True, collate_fn=collate)
    val_loader = DataLoader(EventWindows(val_s), batch_size=256, collate_fn=collate)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = EventGRU(cfg).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    criterion = nn.CrossEntropyLoss(label_smoothing=0.05)

    os.makedirs(cfg["ckpt_dir"], exist_ok=True)
    best = 0.0
    for epoch in range(cfg["epochs"]):
        loss = run_epoch(model, train_loader, optimizer, criterion, device)
        acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch + 1}/{cfg['epochs']} loss {loss:.3f} acc {acc:.3f}")
        if acc > best:
            best = acc
            torch.save({"model": model.state_dict(), "cfg": cfg},
                       os.path.join(cfg["ckpt_dir"], "best.pt"))


if __name__ == "__main__":
    main()
