"""Text classification and tagging models with BatchNorm on sequence features.

All BatchNorm1d layers see (N, C) or (N, C, L) tensors: embeddings and
batch-first RNN/Transformer outputs are transposed, pooled or flattened first.
(SEQ_LEN == EMBED_DIM here, so getting the layout wrong would not even crash.)
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("text")

VOCAB_SIZE = 30_000
SEQ_LEN = 128
EMBED_DIM = 128
NUM_CLASSES = 4
NUM_TAGS = 9
PAD_ID = 0


class SeqBatchNorm(nn.Module):
    """BatchNorm over the feature axis of a (N, L, C) tensor."""

    def __init__(self, num_features: int, **kwargs) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(num_features, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(x.transpose(1, 2)).transpose(1, 2)


class TextCNN(nn.Module):
    def __init__(self, vocab_size: int = VOCAB_SIZE, embed_dim: int = EMBED_DIM,
                 kernel_sizes=(3, 4, 5), channels: int = 100, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD_ID)
        self.branches = nn.ModuleList(
            nn.Sequential(
                nn.Conv1d(embed_dim, channels, k, padding=k // 2, bias=False),
                nn.BatchNorm1d(channels),
                nn.ReLU(inplace=True),
            )
            for k in kernel_sizes
        )
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(channels * len(kernel_sizes), num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embedding(tokens)            # (N, L, E)
        x = x.permute(0, 2, 1).contiguous()   # (N, E, L)
        pooled = [branch(x).amax(dim=2) for branch in self.branches]
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))


class TransformerClassifier(nn.Module):
    def __init__(self, vocab_size: int = VOCAB_SIZE, d_model: int = EMBED_DIM, nhead: int = 4,
                 num_layers: int = 4, hidden: int = 256, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=PAD_ID)
        self.pos = nn.Parameter(torch.zeros(1, SEQ_LEN, d_model))
        layer = nn.TransformerEncoderLayer(d_model, nhead, 4 * d_model, dropout=0.1,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers)
        self.head = nn.Sequential(
            nn.Linear(d_model, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.GELU(),
            nn.Linear(hidden, num_classes),
        )
        nn.init.trunc_normal_(self.pos, std=0.02)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        pad = tokens.eq(PAD_ID)
        x = self.embedding(tokens) + self.pos[:, : tokens.size(1)]
        x = self.encoder(x, src_key_padding_mask=pad)          # (N, L, E)
        keep = (~pad).unsqueeze(-1).float()
        pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1.0)  # (N, E)
        return self.head(pooled)


class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size: int = VOCAB_SIZE, embed_dim: int = EMBED_DIM,
                 hidden: int = 64, num_tags: int = NUM_TAGS) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD_ID)
        self.embed_norm = SeqBatchNorm(embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.token_norm = nn.BatchNorm1d(2 * hidden)
        self.proj = nn.Linear(2 * hidden, num_tags)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed_norm(self.embedding(tokens))
        out, _ = self.lstm(x)                          # (N, L, 2H)
        n, l, c = out.shape
        flat = self.token_norm(out.reshape(n * l, c))  # (N*L, 2H)
        return self.proj(flat).view(n, l, -1)


# ------------------------------------------------------------------- trainer
@dataclass
class Config:
    task: str = "classify"
    model: str = "textcnn"
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    clip: float = 1.0


def build(cfg: Config) -> nn.Module:
    if cfg.task == "tag":
        return BiLSTMTagger()
    return {"textcnn": TextCNN, "transformer": TransformerClassifier}[cfg.model]()


class SequenceTrainer:
    def __init__(self, model: nn.Module, cfg: Config) -> None:
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        self.cfg = cfg
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, weight_decay=0.01)

    def _loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if logits.dim() == 3:   # tagging: ignore padding
            return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100)
        return F.cross_entropy(logits, labels)

    def train_epoch(self, loader: DataLoader) -> float:
        self.model.train(True)
        losses = []
        for tokens, labels in loader:
            tokens, labels = tokens.to(self.device), labels.to(self.device)
            loss = self._loss(self.model(tokens), labels)
            self.opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.clip)
            self.opt.step()
            losses.append(loss.item())
        return sum(losses) / max(len(losses), 1)

    @torch.no_grad()
    def evaluate(self, loader: DataLoader) -> Dict[str, float]:
        self.model.train(False)
        correct = total = 0
        for tokens, labels in loader:
            logits = self.model(tokens.to(self.device))
            labels = labels.to(self.device)
            pred = logits.argmax(-1)
            valid = labels.ne(-100)
            correct += (pred.eq(labels) & valid).sum().item()
            total += valid.sum().item()
        return {"accuracy": correct / max(total, 1)}

    def fit(self, train_loader: DataLoader, val_loader: DataLoader) -> List[Dict[str, float]]:
        history = []
        for epoch in range(self.cfg.epochs):
            stats = {"epoch": epoch, "train_loss": self.train_epoch(train_loader)}
            stats.update(self.evaluate(val_loader))
            log.info("%s", stats)
            history.append(stats)
        return history


def make_data(task: str, n: int) -> TensorDataset:
    tokens = torch.randint(1, VOCAB_SIZE, (n, SEQ_LEN))
    if task == "tag":
        labels = torch.randint(0, NUM_TAGS, (n, SEQ_LEN))
    else:
        labels = torch.randint(0, NUM_CLASSES, (n,))
    return TensorDataset(tokens, labels)


NUM_TRAIN = 20_000
NUM_VAL = 2_000


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser()
    p.add_argument("--task", choices=["classify", "tag"], default="classify")
    p.add_argument("--model", choices=["textcnn", "transformer"], default="textcnn")
    p.add_argument("--epochs", type=int, default=10)
    args = p.parse_args(argv)
    cfg = Config(task=args.task, model=args.model, epochs=args.epochs)

    train_loader = DataLoader(make_data(cfg.task, NUM_TRAIN), batch_size=cfg.batch_size, shuffle=True)
    val_loader = DataLoader(make_data(cfg.task, NUM_VAL), batch_size=256)
    trainer = SequenceTrainer(build(cfg), cfg)
    trainer.fit(train_loader, val_loader)


if __name__ == "__main__":
    main()
