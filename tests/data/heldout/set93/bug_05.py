"""Review sentiment classifier: embedding -> BiGRU -> attention pooling -> MLP.

Includes a small vocabulary builder, padding/truncation, a trainer with
early stopping on validation F1, and a CLI.
"""
from __future__ import annotations

import argparse
import logging
import re
from collections import Counter
from typing import Dict, Iterable, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("sentiment")

PAD, UNK = 0, 1
SEQ_LEN = 64
EMBED_DIM = 64
HIDDEN = 128
NUM_CLASSES = 3
VOCAB_SIZE = 20_000
NUM_TRAIN = 12_801
NUM_VAL = 1_500
BATCH_SIZE = 64


# ---------------------------------------------------------------- tokenising
TOKEN_RE = re.compile(r"[a-z0-9']+")


def tokenize(text: str) -> List[str]:
    return TOKEN_RE.findall(text.lower())


def build_vocab(texts: Iterable[str], max_size: int = VOCAB_SIZE, min_freq: int = 2) -> Dict[str, int]:
    counts = Counter(tok for t in texts for tok in tokenize(t))
    vocab = {"<pad>": PAD, "<unk>": UNK}
    for tok, c in counts.most_common(max_size - len(vocab)):
        if c < min_freq:
            break
        vocab[tok] = len(vocab)
    return vocab


def encode(text: str, vocab: Dict[str, int], max_len: int = SEQ_LEN) -> List[int]:
    ids = [vocab.get(tok, UNK) for tok in tokenize(text)][:max_len]
    return ids + [PAD] * (max_len - len(ids))


# --------------------------------------------------------------------- model
class AttentionPool(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.score = nn.Linear(dim, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        scores = self.score(x).squeeze(-1).masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1).unsqueeze(-1)
        return (weights * x).sum(dim=1)


class SentimentNet(nn.Module):
    def __init__(self, vocab_size: int = VOCAB_SIZE, embed_dim: int = EMBED_DIM,
                 hidden: int = HIDDEN, num_classes: int = NUM_CLASSES, dropout: float = 0.3) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.emb_norm = nn.BatchNorm1d(embed_dim)
        self.gru = nn.GRU(embed_dim, hidden, num_layers=2, batch_first=True, bidirectional=True,
                          dropout=dropout)
        self.pool = AttentionPool(2 * hidden)
        self.mlp = nn.Sequential(
            nn.Linear(2 * hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        mask = tokens.ne(PAD)
        x = self.embedding(tokens)
        x = self.emb_norm(x)  # expect: BN203
        out, _ = self.gru(x)
        return self.mlp(self.pool(out, mask))


# ------------------------------------------------------------------- metrics
def macro_f1(pred: torch.Tensor, target: torch.Tensor, num_classes: int = NUM_CLASSES) -> float:
    f1s = []
    for c in range(num_classes):
        tp = ((pred == c) & (target == c)).sum().item()
        fp = ((pred == c) & (target != c)).sum().item()
        fn = ((pred != c) & (target == c)).sum().item()
        denom = 2 * tp + fp + fn
        f1s.append(2 * tp / denom if denom else 0.0)
    return sum(f1s) / num_classes


# ------------------------------------------------------------------- trainer
class Trainer:
    def __init__(self, model: nn.Module, lr: float = 2e-3, patience: int = 3) -> None:
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.patience = patience
        self.best_f1 = -1.0
        self.best_state: Optional[Dict[str, torch.Tensor]] = None

    def train_epoch(self, loader: DataLoader) -> float:
        self.model.train()
        total = 0.0
        for tokens, labels in loader:
            tokens, labels = tokens.to(self.device), labels.to(self.device)
            loss = F.cross_entropy(self.model(tokens), labels)
            self.optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            total += loss.item()
        return total / len(loader)

    @torch.no_grad()
    def evaluate(self, loader: DataLoader) -> Dict[str, float]:
        self.model.eval()
        preds, targets = [], []
        for tokens, labels in loader:
            preds.append(self.model(tokens.to(self.device)).argmax(1).cpu())
            targets.append(labels)
        pred, target = torch.cat(preds), torch.cat(targets)
        return {"acc": (pred == target).float().mean().item(), "macro_f1": macro_f1(pred, target)}

    def fit(self, train_loader: DataLoader, val_loader: DataLoader, epochs: int) -> float:
        bad = 0
        for epoch in range(epochs):
            loss = self.train_epoch(train_loader)
            metrics = self.evaluate(val_loader)
            log.info("epoch %d loss %.4f %s", epoch, loss, metrics)
            if metrics["macro_f1"] > self.best_f1:
                self.best_f1, bad = metrics["macro_f1"], 0
                self.best_state = {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}
            else:
                bad += 1
                if bad >= self.patience:
                    break
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        return self.best_f1


def pad_randomly(tokens: torch.Tensor, g: torch.Generator, min_len: int = 8) -> torch.Tensor:
    """Simulate variable-length reviews by padding each row after a random length."""
    lengths = torch.randint(min_len, tokens.size(1) + 1, (tokens.size(0),), generator=g)
    tokens[torch.arange(tokens.size(1)).unsqueeze(0) >= lengths.unsqueeze(1)] = PAD
    return tokens


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--save", default="sentiment.pt")
    args = p.parse_args(argv)

    g = torch.Generator().manual_seed(0)
    train_tokens = torch.randint(2, VOCAB_SIZE, (NUM_TRAIN, SEQ_LEN), generator=g)
    train_labels = torch.randint(0, NUM_CLASSES, (NUM_TRAIN,), generator=g)
    val_tokens = torch.randint(2, VOCAB_SIZE, (NUM_VAL, SEQ_LEN), generator=g)
    val_labels = torch.randint(0, NUM_CLASSES, (NUM_VAL,), generator=g)
    pad_randomly(train_tokens, g)
    pad_randomly(val_tokens, g)

    train_ds = TensorDataset(train_tokens, train_labels)
    val_ds = TensorDataset(val_tokens, val_labels)
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, num_workers=2)  # expect: BN302
    val_loader = DataLoader(val_ds, batch_size=512)

    trainer = Trainer(SentimentNet(), lr=args.lr)
    best = trainer.fit(train_loader, val_loader, args.epochs)
    log.info("best macro-F1 %.4f", best)
    torch.save(trainer.model.state_dict(), args.save)


if __name__ == "__main__":
    main()
