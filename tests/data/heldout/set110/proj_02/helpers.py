"""Helpers for the STL-10 notebook: evaluation, checkpoint loading, export."""
import os

import torch

from nets import small_resnet


@torch.no_grad()
def evaluate(model, loader, device):
    """Top-1 accuracy. Leaves the model in training mode afterwards, because
    it is called from inside the training loop."""
    model.eval()
    hits, total = 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        hits += (model(x).argmax(1) == y).sum().item()
        total += y.size(0)
    model.train()
    return hits / total


def load_model(cfg, device="cpu"):
    model = small_resnet(cfg)
    state = torch.load(cfg.checkpoint, map_location=device)
    model.load_state_dict(state["model"])
    model.to(device)
    model.eval()
    return model


def export_onnx(model, path, img_size=96):
    model.eval()
    dummy = torch.randn(1, 3, img_size, img_size, device=next(model.parameters()).device)
    torch.onnx.export(model, dummy, path, input_names=["image"], output_names=["logits"], opset_version=17)
    return os.path.getsize(path)
