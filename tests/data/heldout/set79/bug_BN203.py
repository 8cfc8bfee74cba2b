"""Star-rating prediction for product reviews: BiGRU + additive attention."""
import re
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

MAX_LEN = 256
PAD, UNK = 0, 1


def tokenize(text):
    return re.findall(r"[a-z0-9']+|[!?.]", text.lower())


def build_vocab(texts, min_freq=2, max_size=30000):
    counts = Counter(tok for t in texts for tok in tokenize(t))
    itos = ["<pad>", "<unk>"] + [w for w, c in counts.most_common(max_size) if c >= min_freq]
    return {w: i for i, w in enumerate(itos)}


def encode(text, vocab):
    ids = [vocab.get(tok, UNK) for tok in tokenize(text)][:MAX_LEN]
    return ids + [PAD] * (MAX_LEN - len(ids))


class Reviews(Dataset):
    def __init__(self, texts, stars, vocab):
        self.x = torch.tensor([encode(t, vocab) for t in texts])
        self.y = torch.tensor([s - 1 for s in stars])

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class ReviewRater(nn.Module):
    def __init__(self, vocab_size, emb_dim=200, hidden=128, n_classes=5):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD)
        self.gru = nn.GRU(emb_dim, hidden, batch_first=True, bidirectional=True)
        self.norm = nn.BatchNorm1d(2 * hidden)
        self.attn = nn.Linear(2 * hidden, 1)
        self.out = nn.Linear(2 * hidden, n_classes)

    def forward(self, tokens):
        mask = tokens.ne(PAD)
        states, _ = self.gru(self.embedding(tokens))
        states = self.norm(states)  # expect: BN203
        scores = self.attn(torch.tanh(states)).squeeze(-1).masked_fill(~mask, -1e4)
        weights = scores.softmax(dim=1).unsqueeze(-1)
        pooled = (weights * states).sum(dim=1)
        return self.out(F.dropout(pooled, 0.3, self.training))


def run_epoch(model, loader, optimizer=None, device="cpu"):
    training = optimizer is not None
    model.train(training)
    total_loss, correct, n = 0.0, 0, 0
    with torch.set_grad_enabled(training):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            if training:
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
            total_loss += loss.item() * y.numel()
            correct += (logits.argmax(1) == y).sum().item()
            n += y.numel()
    return total_loss / n, correct / n


def load_corpus(path):
    texts, stars = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rating, _, text = line.rstrip("\n").partition("\t")
            texts.append(text)
            stars.append(int(rating))
    return texts, stars


def main(train_path="reviews_train.tsv", dev_path="reviews_dev.tsv", epochs=8):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tr_texts, tr_stars = load_corpus(train_path)
    dv_texts, dv_stars = load_corpus(dev_path)
    vocab = build_vocab(tr_texts)
    train_loader = DataLoader(Reviews(tr_texts, tr_stars, vocab), batch_size=64, shuffle=True, drop_last=True)
    dev_loader = DataLoader(Reviews(dv_texts, dv_stars, vocab), batch_size=256)

    model = ReviewRater(len(vocab)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        tr_loss, tr_acc = run_epoch(model, train_loader, optimizer, device)
        dv_loss, dv_acc = run_epoch(model, dev_loader, None, device)
        print(f"epoch {epoch}: train {tr_loss:.3f}/{tr_acc:.3f}  dev {dv_loss:.3f}/{dv_acc:.3f}")
    torch.save({"model": model.state_dict(), "vocab": vocab}, "review_rater.pt")


if __name__ == "__main__":
    main()
