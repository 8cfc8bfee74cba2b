import sys

import torch
import torchvision


def run(model, loader, optimizer, mode):
    for x, y in loader:
        if mode == "finetune":
            model.train()
        elif mode == "freeze":
            model.eval()
        else:
            sys.exit(f"unknown mode {mode}")
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


net = torchvision.models.resnet18()
run(net, [], torch.optim.SGD(net.parameters(), lr=0.1), "finetune")
