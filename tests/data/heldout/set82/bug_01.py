"""Keyword spotting on Google Speech Commands v2 (MFCC front-end + small CNN).

Usage:
    python bug_01.py --data-root ./data --epochs 20
"""
import argparse
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.utils.data import DataLoader

LABELS = [
    "backward", "bed", "bird", "cat", "dog", "down", "eight", "five", "follow",
    "forward", "four", "go", "happy", "house", "learn", "left", "marvin", "nine",
    "no", "off", "on", "one", "right", "seven", "sheila", "six", "stop", "three",
    "tree", "two", "up", "visual", "wow", "yes", "zero",
]
LABEL_TO_IDX = {l: i for i, l in enumerate(LABELS)}
SAMPLE_RATE = 16000


class SubsetSC(torchaudio.datasets.SPEECHCOMMANDS):
    def __init__(self, root, subset):
        super().__init__(root, download=True)

        def load_list(filename):
            filepath = os.path.join(self._path, filename)
            with open(filepath) as f:
                return [os.path.normpath(os.path.join(self._path, line.strip())) for line in f]

        if subset == "validation":
            self._walker = load_list("validation_list.txt")
        elif subset == "testing":
            self._walker = load_list("testing_list.txt")
        else:
            excludes = set(load_list("validation_list.txt") + load_list("testing_list.txt"))
            self._walker = [w for w in self._walker if w not in excludes]


def collate(batch):
    waves, targets = [], []
    for waveform, _, label, *_ in batch:
        wav = waveform[0]
        if wav.numel() < SAMPLE_RATE:
            wav = F.pad(wav, (0, SAMPLE_RATE - wav.numel()))
        waves.append(wav[:SAMPLE_RATE])
        targets.append(LABEL_TO_IDX[label])
    return torch.stack(waves).unsqueeze(1), torch.tensor(targets)


class KWSNet(nn.Module):
    def __init__(self, n_mfcc=40, n_classes=len(LABELS)):
        super().__init__()
        self.mfcc = torchaudio.transforms.MFCC(
            sample_rate=SAMPLE_RATE, n_mfcc=n_mfcc,
            melkwargs={"n_fft": 480, "hop_length": 160, "n_mels": 64},
        )
        self.conv1 = nn.Conv2d(1, 64, kernel_size=3, padding=1)  # expect: BN204
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 128, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(128)
        self.conv3 = nn.Conv2d(128, 128, kernel_size=3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(128, n_classes)

    def forward(self, wav):
        x = self.mfcc(wav)  # (N, 1, n_mfcc, T)
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(x, 2)
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.max_pool2d(x, 2)
        x = F.relu(self.bn3(self.conv3(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(self.dropout(x))


def train_one_epoch(model, loader, optimizer, device, log_every=100):
    model.train()
    running = 0.0
    for step, (wav, target) in enumerate(loader):
        wav, target = wav.to(device), target.to(device)
        logits = model(wav)
        loss = F.cross_entropy(logits, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item()
        if (step + 1) % log_every == 0:
            print(f"  step {step + 1}: loss {running / log_every:.4f}")
            running = 0.0


def validate(model, loader, device):
    correct, total = 0, 0
    with torch.no_grad():
        for wav, target in loader:
            wav, target = wav.to(device), target.to(device)
            logits = model(wav)  # expect: BN101
            correct += (logits.argmax(dim=1) == target).sum().item()
            total += target.numel()
    return correct / max(total, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", default="./data")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--out", default="kws_cnn.pt")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_set = SubsetSC(args.data_root, "training")
    val_set = SubsetSC(args.data_root, "validation")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              collate_fn=collate, num_workers=4, pin_memory=True)
    val_loader = DataLoader(val_set, batch_size=256, shuffle=False,
                            collate_fn=collate, num_workers=4)

    model = KWSNet().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    best = 0.0
    for epoch in range(args.epochs):
        t0 = time.time()
        train_one_epoch(model, train_loader, optimizer, device)
        acc = validate(model, val_loader, device)
        scheduler.step()
        print(f"epoch {epoch}: val acc {acc:.4f} ({time.time() - t0:.0f}s)")
        if acc > best:
            best = acc
            torch.save(model.state_dict(), args.out)
    print(f"best val acc {best:.4f}")


if __name__ == "__main__":
    main()
