"""CRNN for polyphonic sound event detection (DCASE-style, frame-level targets).

log-mel (N, 1, 64, T) -> 3 conv blocks -> bidirectional GRU (batch_first) -> per-frame sigmoid.
"""
import argparse
import json
from pathlib import Path

import h5py
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

N_MELS = 64
EVENT_CLASSES = ["alarm", "baby_cry", "dog", "speech", "dishes", "vacuum", "frying", "blender", "cat", "water"]


class FrameLabelledClips(Dataset):
    def __init__(self, h5_path):
        self.h5_path = h5_path
        with h5py.File(h5_path, "r") as f:
            self.length = f["mel"].shape[0]
        self._file = None

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        if self._file is None:
            self._file = h5py.File(self.h5_path, "r")
        mel = torch.from_numpy(self._file["mel"][i]).unsqueeze(0)        # (1, 64, T)
        target = torch.from_numpy(self._file["frame_labels"][i]).float()  # (T // 4, n_classes)
        return mel, target


class CRNN(nn.Module):
    def __init__(self, n_classes=len(EVENT_CLASSES), rnn_hidden=128):
        super().__init__()
        self.block1 = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False),
            nn.BatchNorm1d(32),  # expect: BN202
            nn.ReLU(),
            nn.MaxPool2d((4, 2)),
        )
        self.block2 = nn.Sequential(
            nn.Conv2d(32, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d((4, 2)),
        )
        self.block3 = nn.Sequential(
            nn.Conv2d(64, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d((4, 1)),
        )
        self.gru = nn.GRU(64, rnn_hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * rnn_hidden, n_classes)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(x)))   # (N, 64, 1, T/4)
        x = x.squeeze(2).permute(0, 2, 1)              # (N, T/4, 64)
        x, _ = self.gru(x)
        return self.fc(x)                              # (N, T/4, n_classes) logits


def train_one_epoch(model, loader, optimizer, criterion, device):
    model.train  # expect: BN102
    total = 0.0
    for mel, target in loader:
        mel, target = mel.to(device), target.to(device)
        optimizer.zero_grad()
        loss = criterion(model(mel), target)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


@torch.no_grad()
def frame_f1(model, loader, device, threshold=0.5):
    model.eval()
    tp = fp = fn = 0
    for mel, target in loader:
        pred = (torch.sigmoid(model(mel.to(device))) > threshold).cpu()
        target = target.bool()
        tp += (pred & target).sum().item()
        fp += (pred & ~target).sum().item()
        fn += (~pred & target).sum().item()
    return 2 * tp / max(2 * tp + fp + fn, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-h5", default="features/dcase_train.h5")
    parser.add_argument("--eval-h5", default="features/dcase_eval.h5")
    parser.add_argument("--batch-size", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--out", type=Path, default=Path("exp/crnn"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(FrameLabelledClips(args.train_h5), batch_size=args.batch_size,
                              shuffle=True, num_workers=4)
    eval_loader = DataLoader(FrameLabelledClips(args.eval_h5), batch_size=32, num_workers=4)

    model = CRNN().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999))
    criterion = nn.BCEWithLogitsLoss()

    losses = []
    for epoch in range(args.epochs):
        losses.append(train_one_epoch(model, train_loader, optimizer, criterion, device))
        print(f"epoch {epoch + 1}/{args.epochs} bce {losses[-1]:.4f}")

    f1 = frame_f1(model, eval_loader, device)
    print(f"frame-level F1 on eval set: {f1:.4f}")
    torch.save(model.state_dict(), args.out / "crnn.pt")
    (args.out / "metrics.json").write_text(json.dumps({"frame_f1": f1, "train_loss": losses}))


if __name__ == "__main__":
    main()
