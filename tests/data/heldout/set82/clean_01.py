"""Keyword spotting: BC-ResNet-ish CNN on log-mel features of Speech Commands v2 (12 classes)."""
import argparse
import os
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.utils.data import DataLoader

KEYWORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
CLASSES = KEYWORDS + ["_unknown_", "_silence_"]


def label_of(word):
    return CLASSES.index(word) if word in KEYWORDS else CLASSES.index("_unknown_")


class LogMel(nn.Module):
    def __init__(self, sr=16000, n_mels=40):
        super().__init__()
        self.mel = torchaudio.transforms.MelSpectrogram(sr, n_fft=512, win_length=480, hop_length=160, n_mels=n_mels)

    @torch.no_grad()
    def forward(self, wav):
        return (self.mel(wav) + 1e-6).log()


def conv_bn(cin, cout, k=3, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.SiLU(),
    )


class KWS(nn.Module):
    def __init__(self, n_classes=len(CLASSES), width=48):
        super().__init__()
        self.frontend = LogMel()
        self.net = nn.Sequential(
            conv_bn(1, width, 5, stride=2),
            conv_bn(width, width),
            conv_bn(width, 2 * width, stride=2),
            conv_bn(2 * width, 2 * width),
            conv_bn(2 * width, 4 * width, stride=2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(4 * width, n_classes)

    def forward(self, wav):
        return self.head(self.net(self.frontend(wav)))


def collate(batch):
    xs, ys = [], []
    for wav, _, word, *_ in batch:
        wav = wav[0, :16000]
        xs.append(F.pad(wav, (0, 16000 - wav.numel())))
        ys.append(label_of(word))
    return torch.stack(xs).unsqueeze(1), torch.tensor(ys)


def train_epoch(model, loader, opt, device):
    model.train()
    losses = []
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return float(np.mean(losses))


def run_validation(model, loader, device):
    """Caller is responsible for putting the model in eval mode."""
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(dim=1).cpu()
            correct += (pred == y).sum().item()
            total += y.numel()
    return correct / total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="./speech_commands")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=96)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args()

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_set = torchaudio.datasets.SPEECHCOMMANDS(args.root, download=True, subset="training")
    val_set = torchaudio.datasets.SPEECHCOMMANDS(args.root, download=True, subset="validation")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              collate_fn=collate, num_workers=6, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=1, collate_fn=collate)

    model = KWS().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)

    best = 0.0
    for epoch in range(args.epochs):
        loss = train_epoch(model, train_loader, opt, device)
        sched.step()
        model.eval()
        acc = run_validation(model, val_loader, device)
        print(f"epoch {epoch:2d} loss {loss:.3f} val {acc:.4f}")
        if acc > best:
            best = acc
            os.makedirs("ckpt", exist_ok=True)
            torch.save(model.state_dict(), "ckpt/kws_best.pt")
    print("best", best)


if __name__ == "__main__":
    main()
