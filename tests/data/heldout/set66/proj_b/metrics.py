"""Offline ranking metrics shared by training and the nightly evaluation job."""
from __future__ import annotations

from typing import Dict, Iterable

import torch
import torch.nn.functional as F


def to_device(batch: Dict[str, Dict[str, torch.Tensor]], device: str):
    return {part: {k: v.to(device, non_blocking=True) for k, v in feats.items()}
            for part, feats in batch.items()}


def roc_auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    order = torch.argsort(scores, descending=True)
    labels = labels[order].float()
    pos = labels.sum()
    neg = labels.numel() - pos
    if pos == 0 or neg == 0:
        return float("nan")
    tp = torch.cumsum(labels, 0)
    fp = torch.cumsum(1 - labels, 0)
    tpr = torch.cat([torch.zeros(1), tp / pos])
    fpr = torch.cat([torch.zeros(1), fp / neg])
    return torch.trapz(tpr, fpr).item()


def evaluate_auc(model: torch.nn.Module, loader: Iterable, device: str) -> Dict[str, float]:
    model.eval()
    all_scores, all_labels = [], []
    with torch.no_grad():
        for batch in loader:
            batch = to_device(batch, device)
            logits = model(batch["user"], batch["item"])
            all_scores.append(logits.float().cpu())
            all_labels.append(batch["label"]["click"].cpu())
    scores = torch.cat(all_scores)
    labels = torch.cat(all_labels)
    logloss = F.binary_cross_entropy_with_logits(scores, labels.float()).item()
    return {"auc": roc_auc(scores, labels), "logloss": logloss, "n": float(labels.numel())}
