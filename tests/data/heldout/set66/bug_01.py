"""CTC acoustic model (conv front-end + bidirectional GRU) for a call-centre ASR
pipeline. Features are 80-bin log-mel spectrograms, (batch, n_mels, frames).

    python bug_01.py --manifest data/train.jsonl --val-manifest data/dev.jsonl
"""
from __future__ import annotations

import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

VOCAB = ["<blank>", " ", "'"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
CHAR_TO_ID = {c: i for i, c in enumerate(VOCAB)}
N_MELS = 80


class FeatureManifest(Dataset):
    def __init__(self, manifest: str):
        with open(manifest) as fh:
            self.rows = [json.loads(line) for line in fh]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, idx: int):
        row = self.rows[idx]
        feats = torch.load(row["features"])  # (n_mels, frames)
        text = [CHAR_TO_ID[c] for c in row["text"].lower() if c in CHAR_TO_ID]
        return feats, torch.tensor(text, dtype=torch.long)


def collate(batch):
    feats, texts = zip(*batch)
    lengths = torch.tensor([f.shape[1] for f in feats])
    padded = torch.zeros(len(feats), N_MELS, int(lengths.max()))
    for i, f in enumerate(feats):
        padded[i, :, : f.shape[1]] = f
    target_lengths = torch.tensor([len(t) for t in texts])
    return padded, lengths, torch.cat(texts), target_lengths


class ConvGRUCTC(nn.Module):
    def __init__(self, n_mels: int = N_MELS, channels: int = 256, hidden: int = 320,
                 num_layers: int = 3, vocab: int = len(VOCAB)):
        super().__init__()
        self.frontend = nn.Sequential(
            nn.Conv1d(n_mels, channels, 11, stride=2, padding=5), nn.BatchNorm1d(channels),  # expect: BN204
            nn.Hardtanh(0, 20, inplace=True),
            nn.Conv1d(channels, channels, 11, padding=5, bias=False),
            nn.BatchNorm1d(channels),
            nn.Hardtanh(0, 20, inplace=True),
        )
        self.rnn = nn.GRU(channels, hidden, num_layers=num_layers, batch_first=True,
                          bidirectional=True, dropout=0.1)
        self.rnn_norm = nn.BatchNorm1d(2 * hidden)
        self.classifier = nn.Linear(2 * hidden, vocab)

    @staticmethod
    def output_lengths(lengths: torch.Tensor) -> torch.Tensor:
        return torch.div(lengths + 2 * 5 - 11, 2, rounding_mode="floor") + 1

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor):
        x = self.frontend(feats)
        x = x.transpose(1, 2).contiguous()
        out_lengths = self.output_lengths(lengths)
        x, _ = self.rnn(x)
        x = self.rnn_norm(x)  # expect: BN203
        return self.classifier(x).log_softmax(dim=-1), out_lengths


def greedy_decode(log_probs: torch.Tensor, lengths: torch.Tensor):
    best = log_probs.argmax(-1)
    texts = []
    for seq, n in zip(best, lengths):
        chars, prev = [], 0
        for t in seq[: int(n)].tolist():
            if t != prev and t != 0:
                chars.append(VOCAB[t])
            prev = t
        texts.append("".join(chars))
    return texts


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def validate(model: nn.Module, loader: DataLoader, device: str) -> float:
    model.eval()
    errors = chars = 0
    with torch.no_grad():
        for feats, lengths, targets, target_lengths in loader:
            log_probs, out_lengths = model(feats.to(device), lengths.to(device))
            hyps = greedy_decode(log_probs.cpu(), out_lengths.cpu())
            refs = torch.split(targets, target_lengths.tolist())
            for hyp, ref in zip(hyps, refs):
                ref_text = "".join(VOCAB[i] for i in ref.tolist())
                errors += edit_distance(hyp, ref_text)
                chars += len(ref_text)
    return errors / max(chars, 1)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--manifest", required=True)
    p.add_argument("--val-manifest", required=True)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--lr", type=float, default=5e-4)
    args = p.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_loader = DataLoader(FeatureManifest(args.manifest), batch_size=args.batch_size, shuffle=True, collate_fn=collate, num_workers=8)
    val_loader = DataLoader(FeatureManifest(args.val_manifest), batch_size=64, collate_fn=collate)
    model = ConvGRUCTC().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)

    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for feats, lengths, targets, target_lengths in train_loader:
            log_probs, out_lengths = model(feats.to(device), lengths.to(device))
            loss = ctc(log_probs.transpose(0, 1), targets, out_lengths, target_lengths)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 400.0)
            optimizer.step()
            total += loss.item()
        cer = validate(model, val_loader, device)
        print(f"epoch {epoch}: ctc {total / len(train_loader):.3f} cer {cer:.3%}")
        torch.save(model.state_dict(), f"ctc_epoch{epoch:02d}.pt")


if __name__ == "__main__":
    main()
