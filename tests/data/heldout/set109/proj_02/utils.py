import numpy as np
import torch


def prepare_for_export(model):
    """Put the model in inference mode and freeze it before exporting."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def max_abs_diff(a, b):
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return float(np.abs(a - np.asarray(b)).max())
