import torch
from torch import nn

from network import SuperNet


def recalibrate(model, loader, steps):
    model.train()
    with torch.no_grad():
        for step in range(steps):
            inputs, _ = next(loader)
            logits = model(inputs)
            print(step, logits.argmax(1).float().mean().item())
