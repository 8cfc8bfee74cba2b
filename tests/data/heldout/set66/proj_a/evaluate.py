"""Offline evaluation of a trained KWS checkpoint: accuracy, per-keyword recall
and a confusion matrix written as CSV for the release report.

    python evaluate.py runs/kws/best.pt --split test
"""
from __future__ import annotations

import argparse
import csv

import torch
from torch.utils.data import DataLoader

from config import CFG, KEYWORDS
from data import KWSFeatureDataset
from models import build_model


def load_checkpoint(path: str, device: str) -> torch.nn.Module:
    model = build_model(CFG["model"])
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"])
    return model.to(device)


def confusion_matrix(model: torch.nn.Module, loader: DataLoader, device: str) -> torch.Tensor:
    n = len(KEYWORDS)
    cm = torch.zeros(n, n, dtype=torch.long)
    with torch.no_grad():
        for feats, labels in loader:
            logits = model(feats.to(device))  # expect: BN101
            preds = logits.argmax(dim=-1).cpu()
            for t, p in zip(labels.tolist(), preds.tolist()):
                cm[t, p] += 1
    return cm


def summarize(cm: torch.Tensor) -> dict:
    total = cm.sum().item()
    acc = cm.diag().sum().item() / max(total, 1)
    recall = {}
    for i, kw in enumerate(KEYWORDS):
        support = cm[i].sum().item()
        recall[kw] = cm[i, i].item() / support if support else float("nan")
    return {"accuracy": acc, "recall": recall}


def write_csv(cm: torch.Tensor, path: str) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["true\\pred"] + KEYWORDS)
        for i, kw in enumerate(KEYWORDS):
            w.writerow([kw] + cm[i].tolist())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("--split", default="test", choices=["validation", "test"])
    p.add_argument("--csv", default="confusion.csv")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()

    ds = KWSFeatureDataset(CFG["data_root"], args.split)
    loader = DataLoader(ds, batch_size=CFG["eval"]["batch_size"], shuffle=False, num_workers=CFG["eval"]["num_workers"])
    model = load_checkpoint(args.checkpoint, args.device)
    cm = confusion_matrix(model, loader, args.device)
    report = summarize(cm)
    print(f"{args.split} accuracy: {report['accuracy']:.4f}")
    for kw, r in report["recall"].items():
        print(f"  {kw:>10s}  recall {r:.3f}")
    write_csv(cm, args.csv)


if __name__ == "__main__":
    main()
