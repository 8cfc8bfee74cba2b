"""5-fold cross-validation of a 1D-CNN activity classifier with AMP.

The encoder is initialised from a self-supervised checkpoint; its BatchNorm
statistics come from a much larger unlabeled corpus and are kept fixed.
After CV, the model is re-trained on all labelled windows.
"""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import DataLoader, Subset, TensorDataset

NUM_SAMPLES = 1281
NUM_CLASSES = 6
BATCH_SIZE = 40


class Encoder(nn.Module):
    def __init__(self, in_ch=6, width=64):
        super().__init__()
        layers = []
        ch = in_ch
        for mult in (1, 2, 2):
            layers += [
                nn.Conv1d(ch, width * mult, kernel_size=7, padding=3, bias=False),
                nn.BatchNorm1d(width * mult),
                nn.GELU(),
                nn.MaxPool1d(2),
            ]
            ch = width * mult
        self.net = nn.Sequential(*layers)
        self.out_dim = ch

    def forward(self, x):
        return self.net(x).mean(dim=-1)


class ActivityNet(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.encoder = Encoder()
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(self.encoder.out_dim, num_classes))

    def forward(self, x):
        return self.head(self.encoder(x))


def freeze_bn_stats(module: nn.Module):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.eval()
            m.weight.requires_grad_(False)
            m.bias.requires_grad_(False)


def build_model(pretrained_path, device):
    model = ActivityNet()
    if pretrained_path:
        model.encoder.load_state_dict(torch.load(pretrained_path, map_location="cpu"))
        freeze_bn_stats(model.encoder)
    return model.to(device)


def validate(model, loader, device):
    correct, seen = 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            with torch.autocast(device_type=device.type, enabled=device.type == "cuda"):
                logits = model(x)  # expect: BN101
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += y.numel()
    return correct / seen


def run_fold(dataset, train_idx, val_idx, args, device):
    train_loader = DataLoader(Subset(dataset, train_idx), batch_size=BATCH_SIZE, shuffle=True)
    val_loader = DataLoader(Subset(dataset, val_idx), batch_size=256)
    model = build_model(args.pretrained, device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-2)
    scaler = torch.cuda.amp.GradScaler(enabled=device.type == "cuda")

    best = 0.0
    for epoch in range(args.epochs):
        model.train()  # expect: BN105
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device_type=device.type, enabled=device.type == "cuda"):
                loss = F.cross_entropy(model(x), y)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(params, 2.0)
            scaler.step(optimizer)
            scaler.update()
        best = max(best, validate(model, val_loader, device))
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--pretrained", default="ssl_encoder.pt")
    parser.add_argument("--out", default="cv_results.json")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rng = np.random.default_rng(0)
    signals = torch.from_numpy(rng.standard_normal((NUM_SAMPLES, 6, 128)).astype(np.float32))
    labels = torch.from_numpy(rng.integers(0, NUM_CLASSES, NUM_SAMPLES))
    dataset = TensorDataset(signals, labels)

    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    scores = []
    for fold, (tr, va) in enumerate(skf.split(np.zeros(NUM_SAMPLES), labels.numpy())):
        acc = run_fold(dataset, tr, va, args, device)
        scores.append(acc)
        print(f"fold {fold}: best val acc {acc:.4f}")
    print(f"CV accuracy: {np.mean(scores):.4f} +/- {np.std(scores):.4f}")

    full_loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    model = build_model(args.pretrained, device)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    model.train()
    if args.pretrained:
        freeze_bn_stats(model.encoder)
    for epoch in range(args.epochs):
        for x, y in full_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
    torch.save(model.state_dict(), "activity_full.pt")
    with open(args.out, "w") as fh:
        json.dump({"fold_scores": scores, "mean": float(np.mean(scores))}, fh, indent=2)


if __name__ == "__main__":
    main()
