import numpy as np
import torch

from .utils import masked_mae


def _to(batch, device):
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}


def train_one_epoch(model, loader, optimizer, scheduler, device):
    model.train()
    losses = []
    for batch in loader:
        batch = _to(batch, device)
        pred = model(batch["x"], batch["rc"])
        loss = masked_mae(pred, batch["y"], batch["u_out"])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        losses.append(loss.item())
    scheduler.step()
    return float(np.mean(losses))


def evaluate(model, loader, device):
    model.eval()
    preds, scores = [], []
    with torch.no_grad():
        for batch in loader:
            batch = _to(batch, device)
            pred = model(batch["x"], batch["rc"])
            scores.append(masked_mae(pred, batch["y"], batch["u_out"]).item())
            preds.append(pred.cpu().numpy())
    return float(np.mean(scores)), np.concatenate(preds)


@torch.inference_mode()
def predict(model, loader, device):
    model.eval()
    out = []
    for batch in loader:
        batch = _to(batch, device)
        out.append(model(batch["x"], batch["rc"]).cpu().numpy())
    return np.concatenate(out)
