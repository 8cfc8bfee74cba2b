import os

import torch
import torch.nn.functional as F

from models import LungSoundNet


def train_one_epoch(model, loader, optimizer, device, class_weights=None):
    model.train()
    total, n = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y, weight=class_weights)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * y.numel()
        n += y.numel()
    return total / n


@torch.no_grad()
def evaluate(model, loader, device, n_classes):
    model.eval()
    conf = torch.zeros(n_classes, n_classes, dtype=torch.long)
    for x, y in loader:
        pred = model(x.to(device)).argmax(1).cpu()
        conf += torch.bincount(y * n_classes + pred, minlength=n_classes ** 2).view(n_classes, n_classes)
    sensitivity = conf[1:, 1:].sum().item() / max(conf[1:].sum().item(), 1)
    specificity = conf[0, 0].item() / max(conf[0].sum().item(), 1)
    return {"se": sensitivity, "sp": specificity, "score": (sensitivity + specificity) / 2}


def load_model(cfg, ckpt_path, device="cpu"):
    model = LungSoundNet(len(cfg.classes), cfg.widths)
    model.load_state_dict(torch.load(ckpt_path, map_location="cpu"))
    model.eval()
    return model.to(device)


def save(model, cfg, name):
    os.makedirs(cfg.out_dir, exist_ok=True)
    path = os.path.join(cfg.out_dir, name)
    torch.save(model.state_dict(), path)
    return path
