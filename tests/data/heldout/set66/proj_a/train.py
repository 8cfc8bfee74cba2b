"""Train a keyword-spotting model on precomputed log-mel features.

    python train.py --out runs/kws
"""
from __future__ import annotations

import argparse
import os
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from config import CFG
from data import KWSFeatureDataset
from models import build_model


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="runs/kws")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--seed", type=int, default=1234)
    return p.parse_args()


def validate(model: nn.Module, loader: DataLoader, device: str) -> float:
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for feats, labels in loader:
            logits = model(feats.to(device))
            correct += (logits.argmax(-1).cpu() == labels).sum().item()
            total += labels.numel()
    return correct / max(total, 1)


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    tcfg = CFG["train"]

    train_ds = KWSFeatureDataset(CFG["data_root"], "train", augment=True)
    val_ds = KWSFeatureDataset(CFG["data_root"], "validation")
    train_loader = DataLoader(train_ds, batch_size=tcfg["batch_size"], shuffle=True, num_workers=tcfg["num_workers"], drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=CFG["eval"]["batch_size"], shuffle=False, num_workers=CFG["eval"]["num_workers"])

    model = build_model(CFG["model"]).to(args.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=tcfg["lr"], weight_decay=tcfg["weight_decay"])
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=tcfg["lr"], epochs=tcfg["epochs"], steps_per_epoch=len(train_loader))
    criterion = nn.CrossEntropyLoss(label_smoothing=tcfg["label_smoothing"])

    best_acc = 0.0
    for epoch in range(tcfg["epochs"]):
        model.train()
        t0 = time.time()
        running = 0.0
        for step, (feats, labels) in enumerate(train_loader):
            feats, labels = feats.to(args.device), labels.to(args.device)
            loss = criterion(model(feats), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            scheduler.step()
            running += loss.item()
        acc = validate(model, val_loader, args.device)
        print(f"epoch {epoch:3d} loss {running / len(train_loader):.4f} "
              f"val_acc {acc:.4f} ({time.time() - t0:.0f}s)")
        if acc > best_acc:
            best_acc = acc
            torch.save({"model": model.state_dict(), "epoch": epoch, "val_acc": acc},
                       os.path.join(args.out, "best.pt"))
    print(f"best validation accuracy {best_acc:.4f}")


if __name__ == "__main__":
    main()
