import os

import torch


def save_checkpoint(model, optimizer, epoch, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save({"model": model.state_dict(), "optim": optimizer.state_dict(), "epoch": epoch}, path)


def load_weights(model, path):
    ckpt = torch.load(path, map_location="cpu")
    model.load_state_dict(ckpt["model"])
    return ckpt.get("epoch", -1)


def evaluate(model, loader, device, threshold=0.5):
    """Returns (false-reject rate, false-accept rate) on a labelled loader."""
    fr = fa = pos = neg = 0
    with torch.no_grad():
        for feats, label in loader:
            prob = torch.sigmoid(model(feats.to(device))).cpu()  # expect: BN101
            pred = prob > threshold
            pos += int((label == 1).sum())
            neg += int((label == 0).sum())
            fr += int(((label == 1) & ~pred).sum())
            fa += int(((label == 0) & pred).sum())
    return fr / max(pos, 1), fa / max(neg, 1)
