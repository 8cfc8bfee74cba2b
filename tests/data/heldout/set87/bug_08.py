"""Sentiment classifier on product reviews using frozen GloVe-300d vectors + BiGRU."""
import csv
import re
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset

GLOVE_PATH = "embeddings/glove.840B.300d.txt"
TRAIN_CSV = "data/reviews_train.csv"
VALID_CSV = "data/reviews_valid.csv"
EMB_DIM = 300
HIDDEN = 256
MAX_LEN = 200
MIN_FREQ = 3
PAD_IDX, UNK_IDX = 0, 1
BATCH_SIZE = 64
EPOCHS = 8

TOKEN_RE = re.compile(r"[a-z0-9']+")


def tokenize(text):
    return TOKEN_RE.findall(text.lower())[:MAX_LEN]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return [(row["text"], int(row["label"])) for row in csv.DictReader(fh)]


def build_vocab(rows):
    counts = Counter(tok for text, _ in rows for tok in tokenize(text))
    itos = ["<pad>", "<unk>"] + [w for w, c in counts.most_common() if c >= MIN_FREQ]
    return {w: i for i, w in enumerate(itos)}


def load_glove(vocab):
    vectors = np.random.normal(0, 0.1, (len(vocab), EMB_DIM)).astype(np.float32)
    vectors[PAD_IDX] = 0.0
    hits = 0
    with open(GLOVE_PATH, encoding="utf-8") as fh:
        for line in fh:
            word, *vals = line.rstrip().split(" ")
            idx = vocab.get(word)
            if idx is not None and len(vals) == EMB_DIM:
                vectors[idx] = np.asarray(vals, dtype=np.float32)
                hits += 1
    print(f"glove coverage: {hits}/{len(vocab)}")
    return torch.from_numpy(vectors)


class ReviewDataset(Dataset):
    def __init__(self, rows, vocab):
        self.data = [(torch.tensor([vocab.get(t, UNK_IDX) for t in tokenize(text)] or [UNK_IDX]), y)
                     for text, y in rows]

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return self.data[i]


def collate(batch):
    seqs, labels = zip(*batch)
    return pad_sequence(seqs, batch_first=True, padding_value=PAD_IDX), torch.tensor(labels)


class ReviewClassifier(nn.Module):
    def __init__(self, vectors, num_classes=2, freeze_emb=True):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(vectors, freeze=freeze_emb, padding_idx=PAD_IDX)
        self.emb_norm = nn.BatchNorm1d(EMB_DIM)
        self.encoder = nn.GRU(EMB_DIM, HIDDEN, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(
            nn.Linear(2 * HIDDEN, 128, bias=False),
            nn.BatchNorm2d(128),  # expect: BN202
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(128, num_classes),
        )

    def forward(self, tokens):
        x = self.embedding(tokens)
        x = self.emb_norm(x)  # expect: BN203
        _, h = self.encoder(x)
        feats = torch.cat([h[-2], h[-1]], dim=1)
        return self.head(feats)


def run_epoch(model, loader, device, optimizer=None):
    training = optimizer is not None
    model.train(training)
    crit = nn.CrossEntropyLoss()
    total_loss, correct, n = 0.0, 0, 0
    with torch.set_grad_enabled(training):
        for tokens, labels in loader:
            tokens, labels = tokens.to(device), labels.to(device)
            logits = model(tokens)
            loss = crit(logits, labels)
            if training:
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
            total_loss += loss.item() * len(labels)
            correct += (logits.argmax(1) == labels).sum().item()
            n += len(labels)
    return total_loss / n, correct / n


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_rows, valid_rows = read_csv(TRAIN_CSV), read_csv(VALID_CSV)
    vocab = build_vocab(train_rows)
    vectors = load_glove(vocab)

    train_loader = DataLoader(ReviewDataset(train_rows, vocab), batch_size=BATCH_SIZE,
                              shuffle=True, collate_fn=collate, drop_last=True)
    valid_loader = DataLoader(ReviewDataset(valid_rows, vocab), batch_size=256, collate_fn=collate)

    model = ReviewClassifier(vectors).to(device)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=2e-3)
    for epoch in range(EPOCHS):
        tr_loss, tr_acc = run_epoch(model, train_loader, device, optimizer)
        va_loss, va_acc = run_epoch(model, valid_loader, device)
        print(f"epoch {epoch}: train {tr_loss:.4f}/{tr_acc:.3f}  valid {va_loss:.4f}/{va_acc:.3f}")
    torch.save({"model": model.state_dict(), "vocab": vocab}, "review_gru.pt")


if __name__ == "__main__":
    main()
