"""Bidirectional LSTM sentiment classifier for short product reviews.

Reviews are tokenised upstream into padded id tensors of shape (batch, max_len)
plus a length vector; this module only holds the model and the training loop.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB_SIZE = 30000
EMBED_DIM = 200
HIDDEN = 256
NUM_CLASSES = 3
PAD_IDX = 0
MAX_LEN = 96


class ReviewClassifier(nn.Module):
    def __init__(self, vocab_size=VOCAB_SIZE, embed_dim=EMBED_DIM, hidden=HIDDEN,
                 num_classes=NUM_CLASSES, dropout=0.3):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD_IDX)
        self.emb_norm = nn.BatchNorm1d(embed_dim)
        self.emb_drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(embed_dim, hidden, num_layers=2, batch_first=True,
                            bidirectional=True, dropout=dropout)
        self.proj = nn.Linear(2 * hidden, hidden, bias=False)
        self.proj_bn = nn.BatchNorm1d(hidden)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, tokens, lengths):
        x = self.emb_norm(self.embedding(tokens))  # expect: BN203
        x = self.emb_drop(x)
        packed = nn.utils.rnn.pack_padded_sequence(
            x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        mask = (tokens[:, : out.size(1)] != PAD_IDX).unsqueeze(-1).float()
        pooled = (out * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        h = F.relu(self.proj_bn(self.proj(pooled)))
        return self.out(h)


def synthetic_batch(batch_size, device):
    lengths = torch.randint(8, MAX_LEN + 1, (batch_size,))
    tokens = torch.randint(1, VOCAB_SIZE, (batch_size, MAX_LEN))
    positions = torch.arange(MAX_LEN).unsqueeze(0)
    tokens = tokens.masked_fill(positions >= lengths.unsqueeze(1), PAD_IDX)
    labels = torch.randint(0, NUM_CLASSES, (batch_size,))
    return tokens.to(device), lengths, labels.to(device)


def evaluate(model, batches, device):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for _ in range(batches):
            tokens, lengths, labels = synthetic_batch(64, device)
            logits = model(tokens, lengths)
            correct += (logits.argmax(dim=-1) == labels).sum().item()
            total += labels.numel()
    return correct / max(total, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--lr", type=float, default=2e-3)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = ReviewClassifier().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)

    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for _ in range(args.steps):
            tokens, lengths, labels = synthetic_batch(args.batch_size, device)
            loss = F.cross_entropy(model(tokens, lengths), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            running += loss.item()
        acc = evaluate(model, 20, device)
        print(f"epoch {epoch}: loss={running / args.steps:.4f} val_acc={acc:.3f}")

    torch.save(model.state_dict(), "review_classifier.pt")


if __name__ == "__main__":
    main()
