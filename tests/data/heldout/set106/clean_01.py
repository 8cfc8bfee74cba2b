"""Multi-kernel TextCNN for AG News topic classification (4 classes).

Embedding -> BatchNorm over the embedding channels -> parallel Conv1d branches
-> max-over-time pooling -> BatchNorm on the pooled feature vector -> Linear.
"""
import argparse
import csv
import logging
import re
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

logger = logging.getLogger(__name__)
TOKEN_RE = re.compile(r"[a-z0-9']+")


def tokenize(s):
    return TOKEN_RE.findall(s.lower())


class AGNews(Dataset):
    def __init__(self, path, vocab=None, max_len=128):
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        self.labels = [int(r[0]) - 1 for r in rows]
        self.texts = [tokenize(r[1] + " " + r[2]) for r in rows]
        if vocab is None:
            counts = Counter(t for toks in self.texts for t in toks)
            vocab = {"<pad>": 0, "<unk>": 1}
            for tok, c in counts.most_common(50000):
                vocab[tok] = len(vocab)
        self.vocab, self.max_len = vocab, max_len

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        ids = [self.vocab.get(t, 1) for t in self.texts[i][: self.max_len]]
        ids += [0] * (self.max_len - len(ids))
        return torch.tensor(ids), self.labels[i]


class ConvBranch(nn.Sequential):
    def __init__(self, in_ch, out_ch, k):
        super().__init__(
            nn.Conv1d(in_ch, out_ch, kernel_size=k, padding=k // 2, bias=False),
            nn.BatchNorm1d(out_ch),
            nn.ReLU(inplace=True),
        )


class TextCNN(nn.Module):
    def __init__(self, vocab_size, embed_dim=200, n_filters=128, kernel_sizes=(3, 5, 7), n_classes=4, dropout=0.4):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(embed_dim)
        self.branches = nn.ModuleList([ConvBranch(embed_dim, n_filters, k) for k in kernel_sizes])
        feat_dim = n_filters * len(kernel_sizes)
        self.feat_bn = nn.BatchNorm1d(feat_dim)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(feat_dim, n_classes)

    def forward(self, ids):
        emb = self.embedding(ids)  # (N, L, E)
        x = self.emb_bn(emb.permute(0, 2, 1))  # (N, E, L): channels first
        pooled = [branch(x).max(dim=2).values for branch in self.branches]  # each (N, n_filters)
        feats = torch.cat(pooled, dim=1)  # (N, n_filters * len(kernel_sizes))
        feats = self.feat_bn(feats)
        return self.fc(self.dropout(feats))


def run_train(model, loader, optimizer, device):
    model.train()
    for ids, y in loader:
        ids, y = ids.to(device), y.to(device)
        loss = F.cross_entropy(model(ids), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.no_grad()
def run_eval(model, loader, device):
    model.eval()
    correct = total = 0
    for ids, y in loader:
        logits = model(ids.to(device))
        correct += (logits.argmax(-1).cpu() == y).sum().item()
        total += len(y)
    return correct / total


@torch.no_grad()
def classify(model, text, vocab, device, max_len=128):
    """Single-sentence inference for the demo endpoint (batch of one is fine in eval mode)."""
    model.eval()
    ids = [vocab.get(t, 1) for t in tokenize(text)][:max_len]
    ids += [0] * (max_len - len(ids))
    logits = model(torch.tensor(ids, device=device).unsqueeze(0))
    return int(logits.argmax(-1))


def main():
    logging.basicConfig(level=logging.INFO)
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="ag_news/train.csv")
    ap.add_argument("--test", default="ag_news/test.csv")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch-size", type=int, default=128)
    args = ap.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_ds = AGNews(args.train)
    test_ds = AGNews(args.test, vocab=train_ds.vocab)
    train_dl = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=4)
    test_dl = DataLoader(test_ds, batch_size=1, shuffle=False)

    model = TextCNN(len(train_ds.vocab)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        last = run_train(model, train_dl, optimizer, device)
        acc = run_eval(model, test_dl, device)
        logger.info("epoch %d last-loss %.4f test-acc %.4f", epoch, last, acc)
    torch.save({"state_dict": model.state_dict(), "vocab": train_ds.vocab}, "textcnn_agnews.pt")
    logger.info("demo: %s", classify(model, "Stocks rallied after the central bank cut rates", train_ds.vocab, device))


if __name__ == "__main__":
    main()
