"""TextCNN for binary sentiment classification (SST-2 / IMDB style TSV files).

Usage:
    python bug_01.py --train data/train.tsv --valid data/dev.tsv --epochs 10

Each line of the TSV is ``<label>\t<sentence>``.
"""
import argparse
import logging
import os
import random
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
logger = logging.getLogger("textcnn")

PAD_IDX, UNK_IDX = 0, 1
MAX_LEN = 64


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def tokenize(text):
    return text.lower().replace(",", " ,").replace(".", " .").split()


def build_vocab(sentences, min_freq=2, max_size=30000):
    counter = Counter()
    for s in sentences:
        counter.update(tokenize(s))
    itos = ["<pad>", "<unk>"]
    for tok, freq in counter.most_common(max_size):
        if freq < min_freq:
            break
        itos.append(tok)
    return {tok: i for i, tok in enumerate(itos)}


class SentimentTSV(Dataset):
    def __init__(self, path, vocab=None):
        self.samples = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.rstrip("\n")
                if not line:
                    continue
                label, text = line.split("\t", 1)
                self.samples.append((text, int(label)))
        self.vocab = vocab if vocab is not None else build_vocab(t for t, _ in self.samples)

    def __len__(self):
        return len(self.samples)

    def encode(self, text):
        ids = [self.vocab.get(tok, UNK_IDX) for tok in tokenize(text)][:MAX_LEN]
        return ids + [PAD_IDX] * (MAX_LEN - len(ids))

    def __getitem__(self, idx):
        text, label = self.samples[idx]
        return torch.tensor(self.encode(text), dtype=torch.long), torch.tensor(label, dtype=torch.long)


class TextCNN(nn.Module):
    def __init__(self, vocab_size, embed_dim=300, n_filters=128, num_classes=2, dropout=0.5):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD_IDX)
        # normalise the word vectors before the convolutions
        self.embed_bn = nn.BatchNorm1d(embed_dim)
        self.conv1 = nn.Conv1d(embed_dim, n_filters, kernel_size=3, padding=1)  # expect: BN204
        self.bn1 = nn.BatchNorm1d(n_filters)
        self.conv2 = nn.Conv1d(n_filters, n_filters, kernel_size=5, padding=2, bias=False)
        self.bn2 = nn.BatchNorm1d(n_filters)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(n_filters, num_classes)

    def forward(self, tokens):
        x = self.embedding(tokens)  # (batch, seq_len, embed_dim)
        x = self.embed_bn(x)  # expect: BN203
        x = x.permute(0, 2, 1)  # (batch, embed_dim, seq_len) for Conv1d
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.adaptive_max_pool1d(x, 1).squeeze(-1)
        return self.fc(self.dropout(x))


def train_epoch(model, loader, optimizer, criterion, device):
    model.train()
    total_loss, n = 0.0, 0
    for tokens, labels in loader:
        tokens, labels = tokens.to(device), labels.to(device)
        optimizer.zero_grad()
        logits = model(tokens)
        loss = criterion(logits, labels)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 3.0)
        optimizer.step()
        total_loss += loss.item() * tokens.size(0)
        n += tokens.size(0)
    return total_loss / max(n, 1)


@torch.no_grad()
def evaluate(model, loader, device):
    correct, total = 0, 0
    for tokens, labels in loader:
        tokens, labels = tokens.to(device), labels.to(device)
        logits = model(tokens)  # expect: BN101
        correct += (logits.argmax(dim=1) == labels).sum().item()
        total += labels.numel()
    return correct / max(total, 1)


def main():
    parser = argparse.ArgumentParser(description="TextCNN sentiment classifier")
    parser.add_argument("--train", required=True)
    parser.add_argument("--valid", required=True)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--embed-dim", type=int, default=300)
    parser.add_argument("--out", default="checkpoints")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    set_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_ds = SentimentTSV(args.train)
    valid_ds = SentimentTSV(args.valid, vocab=train_ds.vocab)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=2)
    valid_loader = DataLoader(valid_ds, batch_size=256, shuffle=False)
    logger.info("vocab=%d train=%d valid=%d", len(train_ds.vocab), len(train_ds), len(valid_ds))

    model = TextCNN(len(train_ds.vocab), embed_dim=args.embed_dim).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()

    os.makedirs(args.out, exist_ok=True)
    best_acc = 0.0
    for epoch in range(1, args.epochs + 1):
        loss = train_epoch(model, train_loader, optimizer, criterion, device)
        acc = evaluate(model, valid_loader, device)
        logger.info("epoch %02d  loss %.4f  val_acc %.4f", epoch, loss, acc)
        if acc > best_acc:
            best_acc = acc
            torch.save({"model": model.state_dict(), "vocab": train_ds.vocab}, os.path.join(args.out, "textcnn_best.pt"))
    logger.info("best validation accuracy: %.4f", best_acc)


if __name__ == "__main__":
    main()
