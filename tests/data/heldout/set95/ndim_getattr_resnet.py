"""Dimension-generic residual network for 1D signals, 2D images and 3D volumes.

Layer classes are looked up by name (``Conv{d}d``, ``BatchNorm{d}d``,
``MaxPool{d}d``) so one definition serves ECG (1D), X-ray (2D) and MRI (3D)
experiments. The experiment config selects the dimensionality.
"""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

EXPERIMENTS = {
    "ecg": {"dims": 1, "in_channels": 12, "num_classes": 5, "batch_size": 64, "crop": (5000,)},
    "xray": {"dims": 2, "in_channels": 1, "num_classes": 14, "batch_size": 32, "crop": (256, 256)},
    "mri": {"dims": 3, "in_channels": 1, "num_classes": 2, "batch_size": 16, "crop": (96, 96, 96)},
}


def layers_for(dims):
    if dims not in (1, 2, 3):
        raise ValueError(f"dims must be 1, 2 or 3, got {dims}")
    return (getattr(nn, f"Conv{dims}d"), getattr(nn, f"BatchNorm{dims}d"),
            getattr(nn, f"MaxPool{dims}d"), getattr(nn, f"AdaptiveAvgPool{dims}d"))


class ResBlock(nn.Module):
    def __init__(self, dims, in_ch, out_ch, stride=1):
        super().__init__()
        Conv, BN, _, _ = layers_for(dims)
        self.conv1 = Conv(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        # eps=1e-3 as in the Keras reference implementation we reproduce
        self.bn1 = BN(out_ch, 1e-3)
        self.conv2 = Conv(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = BN(out_ch, 1e-3)
        self.down = None
        if stride != 1 or in_ch != out_ch:
            self.down = nn.Sequential(Conv(in_ch, out_ch, 1, stride=stride, bias=False),
                                      BN(out_ch, 1e-3))

    def forward(self, x):
        identity = x if self.down is None else self.down(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity)


class NdResNet(nn.Module):
    def __init__(self, dims, in_channels, num_classes, widths=(32, 64, 128, 256)):
        super().__init__()
        Conv, BN, MaxPool, AvgPool = layers_for(dims)
        self.stem = nn.Sequential(
            Conv(in_channels, widths[0], 7, stride=2, padding=3, bias=False),
            BN(widths[0], 1e-3),
            nn.ReLU(inplace=True),
            MaxPool(3, stride=2, padding=1),
        )
        blocks, prev = [], widths[0]
        for i, w in enumerate(widths):
            blocks.append(ResBlock(dims, prev, w, stride=1 if i == 0 else 2))
            blocks.append(ResBlock(dims, w, w))
            prev = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = AvgPool(1)
        self.head = nn.Linear(prev, num_classes)

    def forward(self, x):
        return self.head(self.pool(self.blocks(self.stem(x))).flatten(1))


class TensorFileDataset(Dataset):
    """Index file: JSON list of {"path": ..., "label": ...}; each path is a saved tensor."""

    def __init__(self, index_file):
        with open(index_file) as f:
            self.items = json.load(f)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        item = self.items[i]
        return torch.load(item["path"]), torch.tensor(item["label"])


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for x, y in loader:
        pred = model(x.to(device)).argmax(1).cpu()
        correct += (pred == y).sum().item()
        total += y.numel()
    return correct / max(total, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("experiment", choices=sorted(EXPERIMENTS))
    ap.add_argument("--epochs", type=int, default=50)
    args = ap.parse_args()
    cfg = EXPERIMENTS[args.experiment]
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = NdResNet(cfg["dims"], cfg["in_channels"], cfg["num_classes"]).to(device)
    train_loader = DataLoader(TensorFileDataset(f"data/{args.experiment}/train.json"),
                              batch_size=cfg["batch_size"], shuffle=True, num_workers=6,
                              drop_last=True)
    val_loader = DataLoader(TensorFileDataset(f"data/{args.experiment}/val.json"),
                            batch_size=cfg["batch_size"], num_workers=6)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        acc = evaluate(model, val_loader, device)
        print(f"{args.experiment} epoch {epoch}: val acc {100 * acc:.2f}%")
    torch.save(model.state_dict(), f"ndresnet_{args.experiment}.pt")


if __name__ == "__main__":
    main()
