"""Linear-probe style fine-tuning of a self-supervised raw-waveform encoder for
bird-call detection.  The encoder was pretrained with encoder_pretrain.py; here we
freeze it and only train a small head on the labelled clips.
"""
import argparse
import os

import soundfile as sf
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm


class WaveformEncoder(nn.Module):
    """Strided Conv1d stack over 16 kHz waveforms (N, 1, samples) -> (N, 256, frames)."""

    def __init__(self, channels=(64, 128, 128, 256, 256), strides=(5, 4, 2, 2, 2)):
        super().__init__()
        layers, c_in = [], 1
        for c_out, s in zip(channels, strides):
            layers += [
                nn.Conv1d(c_in, c_out, kernel_size=2 * s, stride=s, padding=s // 2, bias=False),
                nn.BatchNorm1d(c_out),
                nn.GELU(),
            ]
            c_in = c_out
        self.net = nn.Sequential(*layers)

    def forward(self, wav):
        return self.net(wav)


class BirdCallClassifier(nn.Module):
    def __init__(self, encoder, n_classes):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Sequential(
            nn.Linear(256, 128),  # expect: BN204
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Dropout(0.25),
            nn.Linear(128, n_classes),
        )

    def forward(self, wav):
        feats = self.encoder(wav)                   # (N, 256, frames)
        pooled = feats.mean(dim=-1)                 # (N, 256)
        return self.head(pooled)


class ClipDataset(Dataset):
    def __init__(self, list_file, root, seconds=5, sr=16000):
        with open(list_file) as f:
            rows = [line.strip().split("\t") for line in f if line.strip()]
        self.items = [(os.path.join(root, p), int(lbl)) for p, lbl in rows]
        self.n = seconds * sr

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        path, label = self.items[idx]
        wav, _ = sf.read(path, dtype="float32")
        wav = torch.from_numpy(wav[: self.n])
        if wav.numel() < self.n:
            wav = F.pad(wav, (0, self.n - wav.numel()))
        return wav.unsqueeze(0), label


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    hits = count = 0
    for wav, y in loader:
        logits = model(wav.to(device))
        hits += (logits.argmax(-1).cpu() == y).sum().item()
        count += y.numel()
    return hits / count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pretrained", default="checkpoints/wave_encoder_ssl.pt")
    ap.add_argument("--train-list", default="lists/train.tsv")
    ap.add_argument("--val-list", default="lists/val.tsv")
    ap.add_argument("--root", default="data/birdclef_16k")
    ap.add_argument("--n-classes", type=int, default=21)
    ap.add_argument("--batch-size", type=int, default=48)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--lr", type=float, default=2e-3)
    args = ap.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    encoder = WaveformEncoder()
    encoder.load_state_dict(torch.load(args.pretrained, map_location="cpu"))
    model = BirdCallClassifier(encoder, args.n_classes).to(device)

    # keep the self-supervised features intact, only the head is trained
    model.encoder.requires_grad_(False)  # expect: BN105
    optimizer = torch.optim.Adam(model.head.parameters(), lr=args.lr)

    train_dl = DataLoader(ClipDataset(args.train_list, args.root), batch_size=args.batch_size,
                          shuffle=True, num_workers=6, drop_last=True)
    val_dl = DataLoader(ClipDataset(args.val_list, args.root), batch_size=64, num_workers=6)

    best = 0.0
    for epoch in range(args.epochs):
        model.train()
        pbar = tqdm(train_dl, desc=f"epoch {epoch}")
        for wav, y in pbar:
            wav, y = wav.to(device), y.to(device)
            loss = F.cross_entropy(model(wav), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            pbar.set_postfix(loss=f"{loss.item():.3f}")
        acc = evaluate(model, val_dl, device)
        print(f"epoch {epoch} val acc {acc:.4f}")
        if acc > best:
            best = acc
            torch.save(model.head.state_dict(), "birdcall_head.pt")


if __name__ == "__main__":
    main()
