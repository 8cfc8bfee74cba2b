"""Keyword spotting on log-mel spectrograms (Speech Commands style)."""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.utils.data import DataLoader

LABELS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
N_MELS = 40


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1):
        padding = kernel_size // 2
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class KWSNet(nn.Module):
    def __init__(self, n_classes=len(LABELS)):
        super().__init__()
        self.features = nn.Sequential(
            ConvBNReLU(1, 64, 5, 2),
            ConvBNReLU(64, 64),
            ConvBNReLU(64, 64),
            nn.MaxPool2d(2),
            ConvBNReLU(64, 128),
            ConvBNReLU(128, 128),
            nn.AdaptiveAvgPool2d(1),
        )
        self.dropout = nn.Dropout(0.3)
        self.classifier = nn.Linear(128, n_classes)

    def forward(self, spec):
        x = self.features(spec).flatten(1)
        return self.classifier(self.dropout(x))


class Featurizer(nn.Module):
    def __init__(self, sample_rate=16000):
        super().__init__()
        self.mel = torchaudio.transforms.MelSpectrogram(sample_rate, n_fft=480, hop_length=160, n_mels=N_MELS)

    def forward(self, wav):
        return torch.log(self.mel(wav) + 1e-6)


def collate(batch):
    waves, targets = [], []
    for waveform, _, label, *_ in batch:
        if label not in LABELS:
            continue
        waveform = F.pad(waveform, (0, 16000 - waveform.shape[-1]))
        waves.append(waveform)
        targets.append(LABELS.index(label))
    return torch.stack(waves), torch.tensor(targets)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="./speech_commands")
    parser.add_argument("--batch-size", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=25)
    args = parser.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_set = torchaudio.datasets.SPEECHCOMMANDS(args.root, download=True, subset="training")
    val_set = torchaudio.datasets.SPEECHCOMMANDS(args.root, download=True, subset="validation")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              collate_fn=collate, num_workers=8, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=256, collate_fn=collate, num_workers=8)

    featurize = Featurizer().to(device)
    model = KWSNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=3e-3, total_steps=args.epochs * len(train_loader))

    for epoch in range(1, args.epochs + 1):
        model.train(True)
        start = time.time()
        for waves, targets in train_loader:
            waves, targets = waves.to(device), targets.to(device)
            logits = model(featurize(waves))
            loss = F.cross_entropy(logits, targets, label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()

        model.train(False)
        hits, count = 0, 0
        with torch.no_grad():
            for waves, targets in val_loader:
                waves, targets = waves.to(device), targets.to(device)
                predictions = model(featurize(waves)).argmax(-1)
                hits += (predictions == targets).sum().item()
                count += targets.numel()
        print(f"epoch {epoch}: val acc {hits / max(count, 1):.3%} ({time.time() - start:.0f}s)")

    torch.save({"model": model.state_dict(), "labels": LABELS}, "kws.pt")


if __name__ == "__main__":
    main()
