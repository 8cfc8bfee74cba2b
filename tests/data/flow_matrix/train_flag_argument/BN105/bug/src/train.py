import torch
from .model import build_model


def _run_epoch(net, loader, optimizer, train):
    net.train(train)
    for images, labels in loader:
        optimizer.zero_grad()
        loss = net(images).sum()
        loss.backward()
        optimizer.step()


def train(loader):
    net = build_model(10)
    optimizer = torch.optim.AdamW(net.parameters())
    for epoch in range(10):
        _run_epoch(net, loader, optimizer, True)
