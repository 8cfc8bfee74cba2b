"""Intent classification for a support chatbot (few thousand labelled utterances).

Token embeddings -> BatchNorm -> small Transformer encoder -> mean pool ->
MLP head. Utterances are padded/truncated to MAX_LEN tokens.
"""
import argparse
import csv
import re
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

MAX_LEN = 128
EMBED_DIM = 128
PAD, UNK = 0, 1


def tokenize(text):
    return re.findall(r"[a-z0-9']+", text.lower())


class Vocab:
    def __init__(self, texts, min_freq=2):
        counts = Counter(tok for t in texts for tok in tokenize(t))
        self.itos = ["<pad>", "<unk>"] + sorted(w for w, c in counts.items() if c >= min_freq)
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def encode(self, text):
        ids = [self.stoi.get(tok, UNK) for tok in tokenize(text)][:MAX_LEN]
        return ids + [PAD] * (MAX_LEN - len(ids))

    def __len__(self):
        return len(self.itos)


class IntentDataset(Dataset):
    def __init__(self, rows, vocab, label_ids):
        self.x = torch.tensor([vocab.encode(r["text"]) for r in rows])
        self.y = torch.tensor([label_ids[r["intent"]] for r in rows])

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class IntentModel(nn.Module):
    def __init__(self, vocab_size, num_intents, embed_dim=EMBED_DIM, layers=2, heads=4):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.embed_bn = nn.BatchNorm1d(embed_dim)
        self.pos = nn.Parameter(torch.zeros(1, MAX_LEN, embed_dim))
        enc_layer = nn.TransformerEncoderLayer(embed_dim, heads, 4 * embed_dim, dropout=0.1,
                                               batch_first=True)
        self.encoder = nn.TransformerEncoder(enc_layer, layers)
        self.head = nn.Sequential(
            nn.Linear(embed_dim, 64, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(inplace=True),
            nn.Dropout(0.2),
            nn.Linear(64, num_intents),
        )

    def forward(self, tokens):
        mask = tokens.eq(PAD)
        x = self.embed(tokens)          # (N, MAX_LEN, E)
        x = self.embed_bn(x)  # expect: BN203
        x = self.encoder(x + self.pos, src_key_padding_mask=mask)
        keep = (~mask).unsqueeze(-1).float()
        pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        return self.head(pooled)


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        total += y.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="data/intents_train.csv")
    ap.add_argument("--dev", default="data/intents_dev.csv")
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_rows, dev_rows = read_rows(args.train), read_rows(args.dev)
    vocab = Vocab([r["text"] for r in train_rows])
    intents = sorted({r["intent"] for r in train_rows})
    label_ids = {name: i for i, name in enumerate(intents)}
    train_loader = DataLoader(IntentDataset(train_rows, vocab, label_ids), batch_size=4, shuffle=True)  # expect: BN301
    dev_loader = DataLoader(IntentDataset(dev_rows, vocab, label_ids), batch_size=64)

    model = IntentModel(len(vocab), len(intents)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device), label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: dev acc {100 * evaluate(model, dev_loader, device):.2f}%")
    torch.save({"model": model.state_dict(), "itos": vocab.itos, "intents": intents},
               "intent_model.pt")


if __name__ == "__main__":
    main()
