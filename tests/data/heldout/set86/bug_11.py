"""Transfer a PPG/ECG backbone pretrained on a large hospital cohort to a small
wearable dataset for atrial-fibrillation screening.

Small target dataset -> we freeze BatchNorm statistics of the backbone and
fine-tune the rest with a low learning rate, then score the unlabelled
screening batch and write predictions to CSV.
"""
import csv
import os
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

cfg = SimpleNamespace(
    backbone_ckpt="pretrained/ecg_resnet1d_backbone.pt",
    train_npz="data/wearable_af/train.npz",
    screen_npz="data/wearable_af/screening.npz",
    batch_size=32,
    epochs=8,
    lr=1e-4,
    out_csv="outputs/af_screening_scores.csv",
)


class ResBlock1d(nn.Module):
    def __init__(self, channels, kernel_size=9):
        super().__init__()
        pad = kernel_size // 2
        self.conv1 = nn.Conv1d(channels, channels, kernel_size, padding=pad, bias=False)
        self.bn1 = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size, padding=pad, bias=False)
        self.bn2 = nn.BatchNorm1d(channels)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(x + h)


class Backbone(nn.Module):
    def __init__(self, in_ch=1, width=64, n_blocks=4):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(in_ch, width, kernel_size=15, stride=2, padding=7, bias=False),
            nn.BatchNorm1d(width),
            nn.ReLU(),
        )
        self.blocks = nn.Sequential(*[ResBlock1d(width) for _ in range(n_blocks)])

    def forward(self, x):
        return self.blocks(self.stem(x)).mean(-1)


class AFModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.head = nn.Linear(64, 1)

    def forward(self, x):
        return self.head(self.backbone(x)).squeeze(-1)


def freeze_bn(module):
    """Put every BatchNorm in eval mode and stop its affine params from training."""
    for m in module.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.eval()
            m.weight.requires_grad_(False)
            m.bias.requires_grad_(False)


def load_npz(path, with_labels=True):
    arr = np.load(path)
    x = torch.from_numpy(arr["x"].astype(np.float32)).unsqueeze(1)     # (N, 1, T)
    if with_labels:
        return TensorDataset(x, torch.from_numpy(arr["y"].astype(np.float32)))
    return TensorDataset(x), arr["ids"]


def predict(model, loader, device):
    scores = []
    with torch.inference_mode():
        for (x,) in loader:
            scores.append(torch.sigmoid(model(x.to(device))).cpu())  # expect: BN101
    return torch.cat(scores).numpy()


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = AFModel()
    model.backbone.load_state_dict(torch.load(cfg.backbone_ckpt, map_location="cpu"))
    model.to(device)
    freeze_bn(model.backbone)

    train_loader = DataLoader(load_npz(cfg.train_npz), batch_size=cfg.batch_size, shuffle=True, drop_last=True)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=1e-3)

    for epoch in range(cfg.epochs):
        model.train()  # expect: BN105
        running = 0.0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.binary_cross_entropy_with_logits(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        print(f"epoch {epoch}: loss {running / len(train_loader):.4f}")

    screen_ds, ids = load_npz(cfg.screen_npz, with_labels=False)
    scores = predict(model, DataLoader(screen_ds, batch_size=256), device)

    os.makedirs(os.path.dirname(cfg.out_csv), exist_ok=True)
    with open(cfg.out_csv, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["record_id", "af_score"])
        writer.writerows(zip(ids, scores.tolist()))


if __name__ == "__main__":
    main()
