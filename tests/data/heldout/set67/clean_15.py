"""Character-level CNN + BiLSTM for toxic comment tagging (multi-label)."""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset

VOCAB_SIZE = 256
EMBED_DIM = 64
CONV_CHANNELS = 128
HIDDEN = 96
NUM_TAGS = 6


class CharCNNLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE, EMBED_DIM, padding_idx=0)
        self.embed_norm = nn.BatchNorm1d(EMBED_DIM)
        self.conv = nn.Conv1d(EMBED_DIM, CONV_CHANNELS, kernel_size=5, padding=2, bias=False)
        self.conv_norm = nn.BatchNorm1d(CONV_CHANNELS)
        self.lstm = nn.LSTM(CONV_CHANNELS, HIDDEN, batch_first=True, bidirectional=True)
        self.seq_norm = nn.BatchNorm1d(2 * HIDDEN)
        self.out = nn.Linear(2 * HIDDEN, NUM_TAGS)

    def forward(self, chars, lengths):
        x = self.embed(chars)                    # (N, L, E)
        x = self.embed_norm(x.transpose(1, 2))   # (N, E, L)
        x = F.relu(self.conv_norm(self.conv(x)))
        x = x.transpose(1, 2)                    # (N, L, C)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)   # (N, L, 2H)
        out = self.seq_norm(out.permute(0, 2, 1))                            # (N, 2H, L)
        mask = (torch.arange(out.size(-1), device=out.device)[None, :] < lengths[:, None]).unsqueeze(1)
        pooled = out.masked_fill(~mask, float("-inf")).amax(dim=-1)
        return self.out(pooled)


class CommentDataset(Dataset):
    def __init__(self, path, max_len=512):
        with open(path) as f:
            self.rows = [json.loads(line) for line in f]
        self.max_len = max_len

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        row = self.rows[i]
        codes = [min(b, VOCAB_SIZE - 1) or 1 for b in row["text"].encode("utf-8")[: self.max_len]] or [1]
        return torch.tensor(codes), torch.tensor(row["labels"], dtype=torch.float32)


def collate(batch):
    chars, labels = zip(*batch)
    lengths = torch.tensor([len(c) for c in chars])
    return pad_sequence(chars, batch_first=True), lengths, torch.stack(labels)


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    tp = fp = fn = 0
    for chars, lengths, labels in loader:
        probs = torch.sigmoid(model(chars.to(device), lengths.to(device)))
        preds = probs.cpu() > 0.5
        tp += (preds & (labels > 0.5)).sum().item()
        fp += (preds & (labels < 0.5)).sum().item()
        fn += (~preds & (labels > 0.5)).sum().item()
    return 2 * tp / max(2 * tp + fp + fn, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", default="train.jsonl")
    parser.add_argument("--valid", default="valid.jsonl")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(CommentDataset(args.train), batch_size=args.batch_size, shuffle=True,
                              collate_fn=collate, drop_last=True)
    valid_loader = DataLoader(CommentDataset(args.valid), batch_size=256, collate_fn=collate)

    model = CharCNNLSTM().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(args.epochs):
        model.train()
        for chars, lengths, labels in train_loader:
            logits = model(chars.to(device), lengths.to(device))
            loss = F.binary_cross_entropy_with_logits(logits, labels.to(device))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
        print(f"epoch {epoch}: micro-F1 {validate(model, valid_loader, device):.4f}")


if __name__ == "__main__":
    main()
