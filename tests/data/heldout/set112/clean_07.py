# Siamese sentence encoder (shared weights) for paraphrase detection.
# Two encoder choices: a 1-D CNN (BatchNorm over channels) or a small
# Transformer (LayerNorm over features, BatchNorm only on the pooled vector).
import argparse
import logging

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("siamese")

VOCAB = 8000
SEQ_LEN = 48
EMB = 96
OUT_DIM = 128
TRAIN_PAIRS = 8193
VAL_PAIRS = 1025
BATCH = 64


def toy_pairs(n, seed):
    g = torch.Generator().manual_seed(seed)
    left = torch.randint(1, VOCAB, (n, SEQ_LEN), generator=g)
    y = torch.randint(0, 2, (n,), generator=g).float()
    right = torch.randint(1, VOCAB, (n, SEQ_LEN), generator=g)
    copy_mask = (torch.rand(n, SEQ_LEN, generator=g) < 0.75) & y.bool()[:, None]
    right = torch.where(copy_mask, left, right)
    return TensorDataset(left, right, y)


class CNNEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMB, padding_idx=0)
        self.emb_norm = nn.BatchNorm1d(EMB)
        self.conv = nn.Conv1d(EMB, 256, kernel_size=5, padding=2, bias=False)
        self.conv_norm = nn.BatchNorm1d(256)
        self.out = nn.Linear(256, OUT_DIM, bias=False)
        self.out_norm = nn.BatchNorm1d(OUT_DIM)

    def forward(self, tokens):
        x = self.embedding(tokens)        # (N, L, E)
        x = x.permute(0, 2, 1)            # (N, E, L): channels first
        x = self.emb_norm(x)
        x = F.gelu(self.conv_norm(self.conv(x)))
        x = x.amax(dim=-1)                # (N, 256)
        return self.out_norm(self.out(x))


class TransformerEncoder(nn.Module):
    def __init__(self, layers=2, heads=4):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMB, padding_idx=0)
        self.pos = nn.Parameter(torch.zeros(1, SEQ_LEN, EMB))
        block = nn.TransformerEncoderLayer(EMB, heads, dim_feedforward=4 * EMB, batch_first=True)
        self.encoder = nn.TransformerEncoder(block, layers)
        self.norm = nn.LayerNorm(EMB)
        self.proj = nn.Linear(EMB, OUT_DIM, bias=False)
        self.bn = nn.BatchNorm1d(OUT_DIM)

    def forward(self, tokens):
        pad = tokens.eq(0)
        h = self.encoder(self.embedding(tokens) + self.pos, src_key_padding_mask=pad)   # (N, L, E)
        h = self.norm(h)
        h = h.masked_fill(pad[..., None], 0.0).sum(1) / (~pad).sum(1, keepdim=True).clamp(min=1)
        return self.bn(self.proj(h))      # (N, OUT_DIM)


class Siamese(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, a, b):
        za = F.normalize(self.encoder(a), dim=-1)
        zb = F.normalize(self.encoder(b), dim=-1)
        return (za * zb).sum(-1)


def validate(model, loader, device):
    model.eval()
    tp = fp = fn = correct = n = 0
    with torch.no_grad():
        for a, b, y in loader:
            a, b, y = a.to(device), b.to(device), y.to(device)
            pred = (model(a, b) > 0.5).float()
            correct += (pred == y).sum().item()
            tp += ((pred == 1) & (y == 1)).sum().item()
            fp += ((pred == 1) & (y == 0)).sum().item()
            fn += ((pred == 0) & (y == 1)).sum().item()
            n += y.numel()
    f1 = 2 * tp / max(1, 2 * tp + fp + fn)
    return correct / n, f1


def main():
    logging.basicConfig(level=logging.INFO)
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", choices=["cnn", "transformer"], default="cnn")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=5e-4)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    # 8193 % 64 == 1 -> drop the last singleton batch (BatchNorm needs >1 sample)
    train_loader = DataLoader(toy_pairs(TRAIN_PAIRS, 0), batch_size=BATCH, shuffle=True, drop_last=True)
    val_loader = DataLoader(toy_pairs(VAL_PAIRS, 1), batch_size=BATCH, shuffle=False)

    encoder = CNNEncoder() if args.encoder == "cnn" else TransformerEncoder()
    model = Siamese(encoder).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)

    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for a, b, y in train_loader:
            a, b, y = a.to(device), b.to(device), y.to(device)
            sim = model(a, b)
            loss = F.binary_cross_entropy_with_logits(sim * 5.0, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        acc, f1 = validate(model, val_loader, device)
        log.info("epoch %d loss %.4f val acc %.3f f1 %.3f", epoch, total / len(train_loader), acc, f1)

    torch.save(model.encoder.state_dict(), f"siamese_{args.encoder}.pt")


if __name__ == "__main__":
    main()
