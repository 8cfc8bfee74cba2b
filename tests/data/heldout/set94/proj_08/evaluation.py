"""Validation helpers: per-class Dice on full validation patches."""
import numpy as np
import torch
import torch.distributed as dist


def dice_per_class(pred, target, num_classes):
    scores = torch.zeros(num_classes, device=pred.device)
    present = torch.zeros(num_classes, device=pred.device)
    for c in range(1, num_classes):
        p = pred == c
        t = target == c
        if t.any():
            inter = (p & t).sum().float()
            scores[c] = 2 * inter / (p.sum() + t.sum()).float()
            present[c] = 1
    return scores, present


def reduce_tensor(t):
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(t)
    return t


@torch.no_grad()
def evaluate(model, loader, device, num_classes, amp=True):
    """Runs the model over the validation loader; returns mean foreground Dice."""
    model.eval()
    totals = torch.zeros(num_classes, device=device)
    counts = torch.zeros(num_classes, device=device)
    for volume, label in loader:
        volume = volume.to(device, non_blocking=True)
        label = label.to(device, non_blocking=True)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            logits = model(volume)
        pred = logits.argmax(dim=1)
        s, n = dice_per_class(pred, label, num_classes)
        totals += s
        counts += n
    totals = reduce_tensor(totals)
    counts = reduce_tensor(counts)
    per_class = (totals / counts.clamp(min=1)).cpu().numpy()
    return {
        "mean_dice": float(np.mean(per_class[1:])),
        "per_class": per_class.tolist(),
    }


def format_scores(scores, class_names):
    lines = [f"mean dice: {scores['mean_dice']:.4f}"]
    for name, value in zip(class_names, scores["per_class"]):
        lines.append(f"  {name:<16s} {value:.4f}")
    return "\n".join(lines)


ORGANS = [
    "background", "spleen", "kidney_r", "kidney_l", "gallbladder", "esophagus",
    "liver", "stomach", "aorta", "ivc", "portal_vein", "pancreas",
    "adrenal_r", "adrenal_l",
]


def summarise_history(history):
    """Best epoch and score from a list of {'epoch', 'mean_dice'} dicts."""
    if not history:
        return None, 0.0
    best = max(history, key=lambda h: h["mean_dice"])
    return best["epoch"], best["mean_dice"]


def moving_average(values, window=5):
    if len(values) < window:
        return list(values)
    kernel = np.ones(window) / window
    smoothed = np.convolve(values, kernel, mode="valid")
    return [float(v) for v in smoothed]
