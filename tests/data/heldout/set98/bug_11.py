"""News-topic classifier, ported from a Keras Sequential model.

Keras original:
    Embedding(VOCAB, 128, input_length=128)
    BatchNormalization()                      # axis=-1 -> normalises the 128 features
    Bidirectional(GRU(64, return_sequences=True))
    BatchNormalization()
    GlobalMaxPooling1D()
    Dense(4, activation="softmax")
"""
import csv

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

VOCAB_SIZE = 30000
MAX_LEN = 128
EMBED_DIM = 128
GRU_UNITS = 64
NUM_CLASSES = 4


def tokenize(text, vocab):
    ids = [vocab.get(tok, 1) for tok in text.lower().split()][:MAX_LEN]
    return ids + [0] * (MAX_LEN - len(ids))


class NewsCSV(Dataset):
    def __init__(self, path, vocab):
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        self.labels = [int(r[0]) - 1 for r in rows]
        self.tokens = [tokenize(r[1] + " " + r[2], vocab) for r in rows]

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return torch.tensor(self.tokens[i]), torch.tensor(self.labels[i])


class KerasTextModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB_SIZE, EMBED_DIM, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(EMBED_DIM, momentum=0.99, eps=1e-3)  # expect: BN205
        self.gru = nn.GRU(EMBED_DIM, GRU_UNITS, batch_first=True, bidirectional=True)
        self.gru_bn = nn.BatchNorm1d(2 * GRU_UNITS)
        self.dense = nn.Linear(2 * GRU_UNITS, NUM_CLASSES)

    def forward(self, tokens):
        x = self.embedding(tokens)                 # (batch, MAX_LEN, EMBED_DIM)
        x = self.emb_bn(x)  # expect: BN203
        seq, _ = self.gru(x)                       # (batch, MAX_LEN, 2 * GRU_UNITS)
        seq = self.gru_bn(seq)  # expect: BN203
        pooled = seq.max(dim=1).values             # GlobalMaxPooling1D
        return self.dense(pooled)


def build_vocab(path, size=VOCAB_SIZE):
    counts = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            for tok in (row[1] + " " + row[2]).lower().split():
                counts[tok] = counts.get(tok, 0) + 1
    most = sorted(counts, key=counts.get, reverse=True)[: size - 2]
    return {tok: i + 2 for i, tok in enumerate(most)}


def accuracy(model, loader):
    model.eval()
    hits = total = 0
    with torch.no_grad():
        for tokens, labels in loader:
            hits += (model(tokens).argmax(-1) == labels).sum().item()
            total += labels.numel()
    model.train()
    return hits / total


def main():
    vocab = build_vocab("ag_news/train.csv")
    train_loader = DataLoader(NewsCSV("ag_news/train.csv", vocab), batch_size=64, shuffle=True)
    test_loader = DataLoader(NewsCSV("ag_news/test.csv", vocab), batch_size=256)

    model = KerasTextModel()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    model.train()
    for epoch in range(5):
        for step, (tokens, labels) in enumerate(train_loader):
            loss = criterion(model(tokens), labels)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            if step % 200 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        print(f"epoch {epoch} test accuracy {accuracy(model, test_loader):.4f}")
    torch.save(model.state_dict(), "news_gru.pt")


if __name__ == "__main__":
    main()
