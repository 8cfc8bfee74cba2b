import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        return self.bn(x)


def evaluate(model, loader):
    with torch.no_grad():
        for x in loader:
            model(x)


def run(loader, mode):
    model = Net()
    if mode == "eval":
        model.eval()
    evaluate(model, loader)


def check_checkpoint(loader, path):
    model = Net()
    model.load_state_dict(torch.load(path))
    evaluate(model, loader)
