import torch
from torch import nn
from torchvision.models import resnet18

from train_funcs import train_step


@torch.no_grad()
def compute_ll(model, loader):
    model.eval()
    total = 0.0
    for x, y in loader:
        total += nn.functional.cross_entropy(model(x), y).item()
    return -total


def training_loop(model, loader, epochs, optimizer, train_fn, batch_check=False):
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            train_fn(model, x, y, optimizer)
            if batch_check:
                ll = compute_ll(model, loader)
                model.train()


def main(loader, cfg):
    model = resnet18()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    training_loop(model, loader, 10, optimizer, train_fn=train_step, batch_check=cfg.get("batch_check", False))
