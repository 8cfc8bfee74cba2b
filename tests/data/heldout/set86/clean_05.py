"""DeepLog-style log anomaly detection: predict the next log key from the previous
WINDOW keys; a session is anomalous if a true key falls outside the top-g predictions.
"""
import argparse
import json
import os

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

WINDOW = 10


def read_sessions(path):
    with open(path) as fh:
        return [[int(k) for k in line.split()] for line in fh if line.strip()]


class NextKeyDataset(Dataset):
    def __init__(self, sessions, window=WINDOW):
        self.items = []
        for s in sessions:
            for i in range(len(s) - window):
                self.items.append((s[i:i + window], s[i + window]))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        seq, nxt = self.items[idx]
        return torch.tensor(seq), torch.tensor(nxt)


class DeepLog(nn.Module):
    def __init__(self, n_keys, emb_dim=32, hidden=64, layers=2):
        super().__init__()
        self.emb = nn.Embedding(n_keys, emb_dim)
        self.emb_bn = nn.BatchNorm1d(emb_dim)
        self.lstm = nn.LSTM(emb_dim, hidden, layers, batch_first=True)
        self.fc = nn.Linear(hidden, n_keys)

    def forward(self, keys):
        e = self.emb(keys)                      # (N, L, E)
        n, l, d = e.shape
        # normalise each token embedding: treat every (sample, position) as one row
        e = self.emb_bn(e.reshape(n * l, d)).view(n, l, d)
        out, _ = self.lstm(e)
        return self.fc(out[:, -1])


def train(model, loader, epochs, lr, device):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    crit = nn.CrossEntropyLoss()
    for ep in range(epochs):
        model.train()
        tot = 0.0
        for seq, nxt in loader:
            seq, nxt = seq.to(device), nxt.to(device)
            opt.zero_grad()
            loss = crit(model(seq), nxt)
            loss.backward()
            opt.step()
            tot += loss.item() * seq.size(0)
        print(f"[train] epoch {ep + 1}/{epochs} loss {tot / len(loader.dataset):.4f}")


@torch.no_grad()
def detect(model, sessions, top_g, device):
    model.eval()
    flagged = []
    for sid, s in enumerate(sessions):
        if len(s) <= WINDOW:
            continue
        windows = torch.tensor([s[i:i + WINDOW] for i in range(len(s) - WINDOW)], device=device)
        targets = torch.tensor(s[WINDOW:], device=device)
        topk = model(windows).topk(top_g, dim=1).indices
        if not (topk == targets.unsqueeze(1)).any(dim=1).all():
            flagged.append(sid)
    return flagged


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="data/hdfs/hdfs_train")
    ap.add_argument("--test-normal", default="data/hdfs/hdfs_test_normal")
    ap.add_argument("--test-abnormal", default="data/hdfs/hdfs_test_abnormal")
    ap.add_argument("--n-keys", type=int, default=29)
    ap.add_argument("--batch-size", type=int, default=2048)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--top-g", type=int, default=9)
    args = ap.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    ds = NextKeyDataset(read_sessions(args.train))
    loader = DataLoader(ds, batch_size=args.batch_size, shuffle=True, pin_memory=True)
    model = DeepLog(args.n_keys).to(device)
    train(model, loader, args.epochs, 1e-3, device)

    normal = read_sessions(args.test_normal)
    abnormal = read_sessions(args.test_abnormal)
    fp = len(detect(model, normal, args.top_g, device))
    tp = len(detect(model, abnormal, args.top_g, device))
    fn = len(abnormal) - tp
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    report = {"fp": fp, "tp": tp, "fn": fn, "precision": precision, "recall": recall,
              "f1": 2 * precision * recall / max(precision + recall, 1e-9)}
    print(json.dumps(report, indent=2))
    os.makedirs("results", exist_ok=True)
    torch.save(model.state_dict(), "results/deeplog.pt")


if __name__ == "__main__":
    main()
