"""Metrics, LR schedule and the validation loop."""
import numpy as np
import torch

import configs as C


def poly_lr(optimizer, base_lrs, it, max_it, power=0.9):
    factor = (1 - it / max_it) ** power
    for group, lr in zip(optimizer.param_groups, base_lrs):
        group["lr"] = lr * factor


def build_optimizer(model, cfg):
    """Backbone at base lr, head at head_lr_mult x base lr."""
    head_params = [p for p in model.head.parameters() if p.requires_grad]
    bb_params = [p for p in model.backbone.parameters() if p.requires_grad]
    groups = [{"params": head_params, "lr": cfg["base_lr"] * cfg["head_lr_mult"]}]
    if bb_params:
        groups.append({"params": bb_params, "lr": cfg["base_lr"]})
    return torch.optim.SGD(groups, lr=cfg["base_lr"], momentum=cfg["momentum"],
                           weight_decay=cfg["weight_decay"])


class ConfusionMatrix:
    def __init__(self, num_classes=C.NUM_CLASSES, ignore_index=C.IGNORE_INDEX):
        self.n = num_classes
        self.ignore_index = ignore_index
        self.mat = np.zeros((num_classes, num_classes), dtype=np.int64)

    def update(self, pred, target):
        pred, target = pred.flatten().cpu().numpy(), target.flatten().cpu().numpy()
        keep = target != self.ignore_index
        idx = self.n * target[keep] + pred[keep]
        self.mat += np.bincount(idx, minlength=self.n ** 2).reshape(self.n, self.n)

    def miou(self):
        inter = np.diag(self.mat)
        union = self.mat.sum(0) + self.mat.sum(1) - inter
        iou = inter / np.maximum(union, 1)
        return float(np.nanmean(iou)), iou


def evaluate(model, loader, device):
    model.eval()
    cm = ConfusionMatrix()
    with torch.no_grad():
        for img, mask in loader:
            logits = model(img.to(device))
            cm.update(logits.argmax(1), mask)
    miou, _ = cm.miou()
    return miou
