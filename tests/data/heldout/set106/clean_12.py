"""Small Transformer text classifier (toxic comment detection).

Token-level tensors (N, L, E) use LayerNorm; BatchNorm1d only sees the pooled
sentence vector (N, E) in the classification head.
"""
import argparse
import math
import os

import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset
from tokenizers import Tokenizer

D_MODEL = 256
N_HEADS = 8
N_LAYERS = 4
MAX_LEN = 200
N_LABELS = 6


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=512):
        super().__init__()
        pos = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(1, max_len, d_model)
        pe[0, :, 0::2] = torch.sin(pos * div)
        pe[0, :, 1::2] = torch.cos(pos * div)
        self.register_buffer("pe", pe)

    def forward(self, x):
        return x + self.pe[:, : x.size(1)]


class ToxicTransformer(nn.Module):
    def __init__(self, vocab_size, d_model=D_MODEL):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, d_model, padding_idx=0)
        self.pos = PositionalEncoding(d_model, MAX_LEN)
        self.emb_ln = nn.LayerNorm(d_model)
        layer = nn.TransformerEncoderLayer(d_model, N_HEADS, dim_feedforward=4 * d_model, dropout=0.1, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, N_LAYERS, norm=nn.LayerNorm(d_model))
        self.pool_bn = nn.BatchNorm1d(d_model)
        self.classifier = nn.Sequential(
            nn.Linear(d_model, d_model, bias=False),
            nn.BatchNorm1d(d_model),
            nn.GELU(),
            nn.Dropout(0.2),
            nn.Linear(d_model, N_LABELS),
        )

    def forward(self, ids):
        pad_mask = ids.eq(0)
        x = self.emb_ln(self.pos(self.tok(ids)))  # (N, L, E)
        x = self.encoder(x, src_key_padding_mask=pad_mask)  # (N, L, E)
        keep = (~pad_mask).unsqueeze(-1).float()
        sent = (x * keep).sum(1) / keep.sum(1).clamp(min=1.0)  # (N, E)
        return self.classifier(self.pool_bn(sent))


class Comments(Dataset):
    def __init__(self, csv, tokenizer, labels=True):
        df = pd.read_csv(csv)
        self.texts = df["comment_text"].tolist()
        self.y = df.iloc[:, 2:2 + N_LABELS].to_numpy("float32") if labels else None
        self.tokenizer = tokenizer

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, i):
        ids = self.tokenizer.encode(self.texts[i]).ids[:MAX_LEN]
        ids = torch.tensor(ids + [0] * (MAX_LEN - len(ids)))
        return (ids, torch.from_numpy(self.y[i])) if self.y is not None else ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="jigsaw/train.csv")
    ap.add_argument("--test", default="jigsaw/test.csv")
    ap.add_argument("--tokenizer", default="bpe-16k.json")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=96)
    args = ap.parse_args()

    tok = Tokenizer.from_file(args.tokenizer)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_dl = DataLoader(Comments(args.train, tok), batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)
    test_dl = DataLoader(Comments(args.test, tok, labels=False), batch_size=512)

    model = ToxicTransformer(tok.get_vocab_size()).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    bce = nn.BCEWithLogitsLoss()
    for epoch in range(args.epochs):
        model.train()
        for step, (ids, y) in enumerate(train_dl):
            loss = bce(model(ids.to(device)), y.to(device))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if step % 200 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        os.makedirs("ckpt", exist_ok=True)
        torch.save(model.state_dict(), f"ckpt/toxic_e{epoch}.pt")

    model.train(False)
    preds = []
    with torch.inference_mode():
        for ids in test_dl:
            preds.append(torch.sigmoid(model(ids.to(device))).cpu())
    pd.DataFrame(torch.cat(preds).numpy()).to_csv("submission.csv", index=False)


if __name__ == "__main__":
    main()
