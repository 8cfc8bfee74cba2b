"""Optimiser / schedule / evaluation helpers."""
import math

import torch
import torch.nn.functional as F


def build_optimizer(model, lr, weight_decay):
    no_decay = ("bias", "bn", "embed")
    params = [
        {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
         "weight_decay": weight_decay},
        {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)],
         "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(params, lr=lr)


def warmup_cosine(optimizer, warmup, total):
    def f(step):
        if step < warmup:
            return (step + 1) / warmup
        t = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1 + math.cos(math.pi * t))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, f)


def validate(model, loader, device):
    """Returns (loss, accuracy)."""
    model.eval()
    tot_loss, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for tokens, lengths, labels in loader:
            tokens, lengths, labels = tokens.to(device), lengths.to(device), labels.to(device)
            logits = model(tokens, lengths)
            tot_loss += F.cross_entropy(logits, labels, reduction="sum").item()
            correct += (logits.argmax(-1) == labels).sum().item()
            n += labels.numel()
    return tot_loss / max(n, 1), correct / max(n, 1)
