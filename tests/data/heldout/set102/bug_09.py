# Q: "Sentiment TextCNN stuck at ~50% validation accuracy after adding BatchNorm"
#
# Without BatchNorm I got ~84% on my movie review data. I added BatchNorm1d after the
# embedding (and after each conv) because I read it helps, and now val accuracy is
# basically a coin flip, although train loss still goes down. No error is raised.

import csv
import re
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

MAX_LEN = 128
EMBED_DIM = 128
N_FILTERS = 100
KERNEL_SIZES = (3, 4, 5)
BATCH_SIZE = 64
EPOCHS = 10
MIN_FREQ = 2
PAD, UNK = 0, 1

TOKEN_RE = re.compile(r"[a-z0-9']+")


def tokenize(text):
    return TOKEN_RE.findall(text.lower())


def build_vocab(texts):
    counter = Counter(tok for t in texts for tok in tokenize(t))
    itos = ["<pad>", "<unk>"] + [w for w, c in counter.most_common() if c >= MIN_FREQ]
    return {w: i for i, w in enumerate(itos)}


class ReviewDataset(Dataset):
    def __init__(self, path, vocab=None):
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        self.texts = [r["review"] for r in rows]
        self.labels = [1 if r["sentiment"] == "positive" else 0 for r in rows]
        self.vocab = vocab or build_vocab(self.texts)

    def encode(self, text):
        ids = [self.vocab.get(tok, UNK) for tok in tokenize(text)][:MAX_LEN]
        return ids + [PAD] * (MAX_LEN - len(ids))

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, i):
        return torch.tensor(self.encode(self.texts[i])), torch.tensor(self.labels[i])


class TextCNN(nn.Module):
    def __init__(self, vocab_size, num_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, EMBED_DIM, padding_idx=PAD)
        self.emb_bn = nn.BatchNorm1d(EMBED_DIM)
        self.convs = nn.ModuleList([nn.Conv1d(EMBED_DIM, N_FILTERS, k, bias=False) for k in KERNEL_SIZES])
        self.conv_bns = nn.ModuleList([nn.BatchNorm1d(N_FILTERS) for _ in KERNEL_SIZES])
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(N_FILTERS * len(KERNEL_SIZES), num_classes)

    def forward(self, tokens):
        x = self.embedding(tokens)   # (batch, seq_len, embed_dim)
        x = self.emb_bn(x)  # expect: BN203
        x = x.transpose(1, 2)        # Conv1d wants (batch, channels, seq_len)
        pooled = []
        for conv, bn in zip(self.convs, self.conv_bns):
            h = F.relu(bn(conv(x)))
            pooled.append(F.max_pool1d(h, h.size(2)).squeeze(2))
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))


def evaluate(model, loader, device):
    correct = total = 0
    with torch.no_grad():
        for tokens, labels in loader:
            tokens, labels = tokens.to(device), labels.to(device)
            logits = model(tokens)  # expect: BN101
            correct += (logits.argmax(1) == labels).sum().item()
            total += labels.size(0)
    return correct / total


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_ds = ReviewDataset("data/train.csv")
    val_ds = ReviewDataset("data/val.csv", vocab=train_ds.vocab)
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=BATCH_SIZE)

    model = TextCNN(len(train_ds.vocab)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range(EPOCHS):
        model.train()
        total_loss = 0.0
        for tokens, labels in train_loader:
            tokens, labels = tokens.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(tokens), labels)
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        val_acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch + 1}: loss {total_loss / len(train_loader):.4f}  val acc {val_acc:.4f}")


if __name__ == "__main__":
    main()
