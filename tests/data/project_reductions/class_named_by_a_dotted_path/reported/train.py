import hydra
import torch
from torch import nn


def build_backend():
    return nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())


def main(method, train_loader, val_loader):
    if method == "source_only":
        runner = hydra.utils.get_class(f"adapt.base.Runner")()
    else:
        runner = hydra.utils.get_class(f"adapt.{method}.Runner")()
    runner.backend = build_backend()
    runner.optimizer = torch.optim.SGD(runner.backend.parameters(), lr=0.1)
    for epoch in range(10):
        for batch in train_loader:
            runner.step(batch)
        with torch.no_grad():
            for batch in val_loader:
                print(runner.step(batch, training=False))
