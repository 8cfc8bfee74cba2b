"""Shared helpers: BN freezing, optimiser, evaluation, prediction, export."""
import torch
import torch.nn as nn


def freeze_bn(module):
    """Put every BatchNorm in `module` in eval mode and stop its affine params from training."""
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()
            m.weight.requires_grad_(False)
            m.bias.requires_grad_(False)
    return module


def build_optimizer(model, lr, weight_decay):
    params = [p for p in model.parameters() if p.requires_grad]
    print(f"optimising {sum(p.numel() for p in params) / 1e6:.2f}M parameters")
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x.to(device))
            correct += (out.argmax(1).cpu() == y).sum().item()
            total += y.numel()
    return correct / max(total, 1)


@torch.no_grad()
def predict(model, loader, device, tta=True):
    """Class probabilities for every sample in `loader`; the caller sets eval mode."""
    probs = []
    for x, _ in loader:
        x = x.to(device)
        p = model(x).softmax(1)
        if tta:
            p = 0.5 * (p + model(x.flip(-1)).softmax(1))
        probs.append(p.cpu())
    return torch.cat(probs)


def export_torchscript(model, path, img_size=224):
    """Trace `model` (expected to be in eval mode already) and save it."""
    device = next(model.parameters()).device
    example = torch.randn(1, 3, img_size, img_size, device=device)
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(path)
    return path
