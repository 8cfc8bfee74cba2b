import numpy as np
import torch
import torch.nn.functional as F


def bce_dice(logits, target):
    p = torch.sigmoid(logits)
    inter = (p * target).sum((1, 2, 3))
    dice = (2 * inter + 1) / (p.sum((1, 2, 3)) + target.sum((1, 2, 3)) + 1)
    return F.binary_cross_entropy_with_logits(logits, target) + (1 - dice).mean()


def train_one_epoch(model, loader, optimizer, scaler, device):
    model.train()
    losses = []
    for img, msk in loader:
        img, msk = img.to(device, non_blocking=True), msk.to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.float16):
            loss = bce_dice(model(img), msk)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    return float(np.mean(losses))


@torch.no_grad()
def evaluate(model, loader, device, flip_tta=False):
    model.eval()
    dices, ious = [], []
    for img, msk in loader:
        img, msk = img.to(device), msk.to(device)
        prob = torch.sigmoid(model(img))
        if flip_tta:
            prob = 0.5 * (prob + torch.sigmoid(model(img.flip(-1))).flip(-1))
        pred = (prob > 0.5).float()
        inter = (pred * msk).sum((1, 2, 3))
        s = pred.sum((1, 2, 3)) + msk.sum((1, 2, 3))
        dices += ((2 * inter + 1e-6) / (s + 1e-6)).tolist()
        ious += ((inter + 1e-6) / (s - inter + 1e-6)).tolist()
    return float(np.mean(dices)), float(np.mean(ious))
