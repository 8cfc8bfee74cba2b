#!/usr/bin/env python
"""12-lead ECG rhythm classification with a 1D CNN (PTB-XL style preprocessed .npy files)."""
import argparse
import logging
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import f1_score
from torch.utils.data import DataLoader, Dataset

log = logging.getLogger("ecg")


class ECGDataset(Dataset):
    """signals.npy: (N, 12, 5000) float32 at 500 Hz; labels.npy: (N,) int."""

    def __init__(self, root, split, crop=4096, train=False):
        self.signals = np.load(os.path.join(root, f"{split}_signals.npy"), mmap_mode="r")
        self.labels = np.load(os.path.join(root, f"{split}_labels.npy"))
        self.crop = crop
        self.train = train

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        sig = np.asarray(self.signals[idx])
        if self.train:
            start = np.random.randint(0, sig.shape[-1] - self.crop + 1)
        else:
            start = (sig.shape[-1] - self.crop) // 2
        sig = sig[:, start:start + self.crop]
        sig = (sig - sig.mean(axis=1, keepdims=True)) / (sig.std(axis=1, keepdims=True) + 1e-6)
        return torch.from_numpy(sig.astype(np.float32)), int(self.labels[idx])


def conv_block(in_ch, out_ch, kernel_size=7, dropout=0.1):
    return nn.Sequential(
        nn.Conv1d(in_ch, out_ch, kernel_size, padding=kernel_size // 2, bias=False),
        nn.BatchNorm1d(out_ch),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.MaxPool1d(2),
    )


class ECGNet(nn.Module):
    def __init__(self, in_leads=12, n_classes=5, width=32):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(in_leads, width, kernel_size=15, padding=7),  # expect: BN204
            nn.BatchNorm1d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool1d(2),
        )
        self.blocks = nn.Sequential(
            conv_block(width, width * 2),
            conv_block(width * 2, width * 4),
            conv_block(width * 4, width * 4),
        )
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(width * 4, n_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(self.pool(x).squeeze(-1))


def train_one_epoch(model, loader, optimizer, scheduler, device):
    model.train()
    total = 0.0
    for signals, labels in loader:
        signals, labels = signals.to(device), labels.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(signals), labels, label_smoothing=0.05)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        scheduler.step()
        total += loss.item()
    return total / max(1, len(loader))


@torch.no_grad()
def evaluate(model, loader, device):
    preds, targets = [], []
    for signals, labels in loader:
        signals = signals.to(device)
        logits = model(signals)  # expect: BN101
        preds.append(logits.argmax(dim=1).cpu())
        targets.append(labels)
    preds = torch.cat(preds).numpy()
    targets = torch.cat(targets).numpy()
    return {
        "acc": float((preds == targets).mean()),
        "macro_f1": float(f1_score(targets, preds, average="macro")),
    }


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", default="data/ptbxl_npy")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--out", default="checkpoints/ecgnet.pt")
    return p.parse_args()


def main():
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_ds = ECGDataset(args.data, "train", train=True)
    val_ds = ECGDataset(args.data, "val")
    test_ds = ECGDataset(args.data, "test")
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers, pin_memory=True)
    val_loader = DataLoader(val_ds, batch_size=256, num_workers=args.workers)
    test_loader = DataLoader(test_ds, batch_size=256, num_workers=args.workers)

    model = ECGNet(n_classes=5, width=args.width).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, total_steps=args.epochs * len(train_loader))

    best_f1 = -1.0
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        loss = train_one_epoch(model, train_loader, optimizer, scheduler, device)
        val = evaluate(model, val_loader, device)
        log.info("epoch %d loss %.4f val_acc %.4f val_f1 %.4f (%.1fs)",
                 epoch, loss, val["acc"], val["macro_f1"], time.time() - t0)
        if val["macro_f1"] > best_f1:
            best_f1 = val["macro_f1"]
            os.makedirs(os.path.dirname(args.out), exist_ok=True)
            torch.save({"model": model.state_dict(), "args": vars(args)}, args.out)

    model.load_state_dict(torch.load(args.out, map_location=device)["model"])
    test = evaluate(model, test_loader, device)
    log.info("test acc %.4f macro-F1 %.4f", test["acc"], test["macro_f1"])


if __name__ == "__main__":
    main()
