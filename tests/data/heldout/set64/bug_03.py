"""BiLSTM intent classifier for long customer-support tickets.

Tickets are long, so the per-step batch is small and gradients are accumulated.
"""
import json
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset
from transformers import AutoTokenizer

MAX_LEN = 128
EMBED_DIM = 200
HIDDEN = 64

CONFIG = {
    "train_file": "data/tickets_train.jsonl",
    "dev_file": "data/tickets_dev.jsonl",
    "tokenizer": "bert-base-uncased",
    "batch_size": 4,
    "grad_accum": 16,
    "epochs": 8,
    "lr": 2e-3,
    "seed": 17,
}


class TicketDataset(Dataset):
    def __init__(self, path, tokenizer, label2id):
        with open(path) as f:
            rows = [json.loads(line) for line in f]
        self.items = []
        for row in rows:
            ids = tokenizer(row["text"], truncation=True, max_length=MAX_LEN)["input_ids"]
            self.items.append((torch.tensor(ids), label2id[row["intent"]]))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        return self.items[idx]


def collate(batch):
    ids = [b[0] for b in batch]
    padded = pad_sequence(ids, batch_first=True, padding_value=0)
    if padded.size(1) < MAX_LEN:
        padded = F.pad(padded, (0, MAX_LEN - padded.size(1)))
    return padded, torch.tensor([b[1] for b in batch])


class BiLSTMClassifier(nn.Module):
    def __init__(self, vocab_size, num_classes):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, EMBED_DIM, padding_idx=0)
        self.lstm = nn.LSTM(EMBED_DIM, HIDDEN, num_layers=2, batch_first=True, bidirectional=True, dropout=0.2)
        self.seq_norm = nn.BatchNorm1d(2 * HIDDEN)
        self.attn = nn.Linear(2 * HIDDEN, 1)
        self.head = nn.Sequential(
            nn.Linear(2 * HIDDEN, 128),  # expect: BN204
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(128, num_classes),
        )

    def forward(self, ids):
        mask = ids != 0
        out, _ = self.lstm(self.embed(ids))
        out = self.seq_norm(out)  # expect: BN203
        scores = self.attn(out).squeeze(-1).masked_fill(~mask, float("-inf"))
        pooled = (F.softmax(scores, dim=1).unsqueeze(-1) * out).sum(dim=1)
        return self.head(pooled)


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for ids, labels in loader:
            logits = model(ids.to(device))
            correct += (logits.argmax(-1).cpu() == labels).sum().item()
            total += labels.numel()
    return correct / total


def main(cfg):
    random.seed(cfg["seed"])
    torch.manual_seed(cfg["seed"])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer = AutoTokenizer.from_pretrained(cfg["tokenizer"])
    with open(cfg["train_file"]) as f:
        intents = sorted({json.loads(line)["intent"] for line in f})
    label2id = {name: i for i, name in enumerate(intents)}

    train_ds = TicketDataset(cfg["train_file"], tokenizer, label2id)
    dev_ds = TicketDataset(cfg["dev_file"], tokenizer, label2id)
    train_loader = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True, collate_fn=collate)  # expect: BN301
    dev_loader = DataLoader(dev_ds, batch_size=64, collate_fn=collate)

    model = BiLSTMClassifier(tokenizer.vocab_size, len(intents)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    best = 0.0
    for epoch in range(cfg["epochs"]):
        model.train()
        optimizer.zero_grad()
        for step, (ids, labels) in enumerate(train_loader, start=1):
            loss = F.cross_entropy(model(ids.to(device)), labels.to(device)) / cfg["grad_accum"]
            loss.backward()
            if step % cfg["grad_accum"] == 0:
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                optimizer.zero_grad()
        acc = evaluate(model, dev_loader, device)
        print(f"epoch {epoch}: dev acc {acc:.4f}")
        if acc > best:
            best = acc
            torch.save({"model": model.state_dict(), "label2id": label2id}, "bilstm_intent.pt")


if __name__ == "__main__":
    main(CONFIG)
