"""BiLSTM encoder with a BatchNorm classification head for intent detection (ATIS/SNIPS).

The LSTM runs batch_first, so its output is (batch, seq_len, 2 * hidden); the head
only ever sees pooled (batch, features) tensors.
"""
import argparse
import json
import os

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.utils.data import DataLoader, Dataset

PAD = 0


class IntentDataset(Dataset):
    def __init__(self, jsonl, word2id, intent2id):
        self.rows = [json.loads(line) for line in open(jsonl, encoding="utf-8")]
        self.word2id, self.intent2id = word2id, intent2id

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        r = self.rows[i]
        ids = [self.word2id.get(w, 1) for w in r["text"].split()]
        return torch.tensor(ids or [1]), self.intent2id[r["intent"]]


def pad_batch(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=PAD)
    return padded, lengths, torch.tensor(labels)


class BiLSTMIntent(nn.Module):
    def __init__(self, vocab_size, n_intents, emb_dim=256, hidden=192, num_layers=2):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD)
        self.emb_norm = nn.LayerNorm(emb_dim)
        self.lstm = nn.LSTM(emb_dim, hidden, num_layers=num_layers, batch_first=True, bidirectional=True, dropout=0.25)
        feat = 2 * hidden
        self.head = nn.Sequential(
            nn.BatchNorm1d(2 * feat),
            nn.Dropout(0.3),
            nn.Linear(2 * feat, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_intents),
        )

    def forward(self, ids, lengths):
        x = self.emb_norm(self.emb(ids))  # (N, L, E) -> LayerNorm over E is fine
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True)  # (N, L, 2H)
        mask = (ids[:, : out.size(1)] != PAD).unsqueeze(-1).float()
        mean_pool = (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # (N, 2H)
        max_pool = out.masked_fill(mask == 0, -1e4).max(1).values  # (N, 2H)
        return self.head(torch.cat([mean_pool, max_pool], dim=1))  # (N, 4H)


class Trainer:
    def __init__(self, model, lr, device):
        self.model = model.to(device)
        self.device = device
        self.opt = torch.optim.AdamW(model.parameters(), lr=lr)
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)

    def train_epoch(self, loader):
        self.model.train()
        for ids, lengths, y in loader:
            ids, y = ids.to(self.device), y.to(self.device)
            loss = self.loss_fn(self.model(ids, lengths), y)
            self.opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
            self.opt.step()
        return loss.item()

    @torch.no_grad()
    def validate(self, loader):
        self.model.train(False)
        hits = n = 0
        for ids, lengths, y in loader:
            pred = self.model(ids.to(self.device), lengths).argmax(-1).cpu()
            hits += (pred == y).sum().item()
            n += y.numel()
        return hits / n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", default="data/snips")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--bsz", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    args = p.parse_args()

    with open(os.path.join(args.data_dir, "vocab.json")) as fh:
        word2id = json.load(fh)
    with open(os.path.join(args.data_dir, "intents.json")) as fh:
        intent2id = json.load(fh)
    train_ds = IntentDataset(os.path.join(args.data_dir, "train.jsonl"), word2id, intent2id)
    dev_ds = IntentDataset(os.path.join(args.data_dir, "dev.jsonl"), word2id, intent2id)
    train_dl = DataLoader(train_ds, batch_size=args.bsz, shuffle=True, collate_fn=pad_batch, drop_last=True)
    dev_dl = DataLoader(dev_ds, batch_size=1, collate_fn=pad_batch)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    trainer = Trainer(BiLSTMIntent(len(word2id), len(intent2id)), args.lr, device)
    best = 0.0
    for ep in range(args.epochs):
        loss = trainer.train_epoch(train_dl)
        acc = trainer.validate(dev_dl)
        print(f"epoch {ep}: loss {loss:.4f} dev acc {acc:.4f}")
        if acc > best:
            best = acc
            torch.save(trainer.model.state_dict(), "bilstm_intent.pt")


if __name__ == "__main__":
    main()
