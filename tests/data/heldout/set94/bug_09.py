"""Intent classification with a GRU encoder and an EMA copy of the weights.

The trainer keeps everything on self: model, ema, loaders, optimiser, scheduler.
"""
import copy
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset

VOCAB_SIZE = 30000
EMBED_DIM = 256
HIDDEN = 256
NUM_INTENTS = 64
MAX_LEN = 48


class IntentDataset(Dataset):
    def __init__(self, path, vocab):
        self.samples = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                text, label = line.rstrip("\n").rsplit("\t", 1)
                ids = [vocab.get(tok, 1) for tok in text.lower().split()][:MAX_LEN]
                self.samples.append((torch.tensor(ids or [1]), int(label)))

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        return self.samples[i]


def collate(batch):
    ids, labels = zip(*batch)
    return pad_sequence(ids, batch_first=True, padding_value=0), torch.tensor(labels)


class IntentClassifier(nn.Module):
    def __init__(self, vocab_size=VOCAB_SIZE, embed_dim=EMBED_DIM, hidden=HIDDEN,
                 num_classes=NUM_INTENTS):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.embed_norm = nn.BatchNorm1d(embed_dim)
        self.encoder = nn.GRU(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.pool_norm = nn.BatchNorm1d(2 * hidden)
        self.classifier = nn.Linear(2 * hidden, num_classes)

    def forward(self, tokens):
        mask = (tokens != 0).unsqueeze(-1).float()
        x = self.embed(tokens)
        x = self.embed_norm(x)  # expect: BN203
        out, _ = self.encoder(x)
        pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.classifier(F.relu(self.pool_norm(pooled)))


class ModelEMA:
    """Exponential moving average of parameters and buffers."""

    def __init__(self, model, decay=0.999, warmup=2000):
        self.module = copy.deepcopy(model)
        self.decay = decay
        self.warmup = warmup
        self.updates = 0

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.warmup))
        msd = model.state_dict()
        for k, v in self.module.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
            else:
                v.copy_(msd[k])


class IntentTrainer:
    def __init__(self, model, loaders, epochs=12, lr=2e-3, device="cpu"):
        self.device = device
        self.model = model.to(device)
        self.ema = ModelEMA(self.model)
        self.loaders = loaders
        self.epochs = epochs
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=0.01)
        total = epochs * len(loaders["train"])
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=lr, total_steps=total, pct_start=0.1)

    def train_epoch(self):
        self.model.train()
        losses = []
        for tokens, labels in self.loaders["train"]:
            tokens, labels = tokens.to(self.device), labels.to(self.device)
            logits = self.model(tokens)
            loss = F.cross_entropy(logits, labels, label_smoothing=0.05)
            self.optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.scheduler.step()
            self.ema.update(self.model)
            losses.append(loss.item())
        return sum(losses) / len(losses)

    @torch.no_grad()
    def validate(self):
        self.model.eval()
        hits = {"model": 0, "ema": 0}
        n = 0
        for tokens, labels in self.loaders["val"]:
            tokens, labels = tokens.to(self.device), labels.to(self.device)
            logits = self.model(tokens)
            ema_logits = self.ema.module(tokens)  # expect: BN101
            hits["model"] += (logits.argmax(-1) == labels).sum().item()
            hits["ema"] += (ema_logits.argmax(-1) == labels).sum().item()
            n += labels.numel()
        return {k: v / n for k, v in hits.items()}

    def fit(self):
        best = 0.0
        for epoch in range(self.epochs):
            loss = self.train_epoch()
            acc = self.validate()
            print(f"epoch {epoch} loss {loss:.4f} acc {acc['model']:.4f} ema {acc['ema']:.4f}")
            if acc["ema"] > best:
                best = acc["ema"]
                torch.save(self.ema.module.state_dict(), "intent_ema.pt")
        return best


def build_vocab(path, size=VOCAB_SIZE):
    counts = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            for tok in line.rsplit("\t", 1)[0].lower().split():
                counts[tok] = counts.get(tok, 0) + 1
    words = sorted(counts, key=counts.get, reverse=True)[: size - 2]
    return {w: i + 2 for i, w in enumerate(words)}


if __name__ == "__main__":
    random.seed(0)
    torch.manual_seed(0)
    vocab = build_vocab("data/intents_train.tsv")
    loaders = {
        "train": DataLoader(IntentDataset("data/intents_train.tsv", vocab), batch_size=64,
                            shuffle=True, collate_fn=collate, drop_last=True),
        "val": DataLoader(IntentDataset("data/intents_val.tsv", vocab), batch_size=256,
                          collate_fn=collate),
    }
    trainer = IntentTrainer(IntentClassifier(), loaders)
    print("best ema accuracy", trainer.fit())
