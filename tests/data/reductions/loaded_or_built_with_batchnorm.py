import sys

import torch
import torch.nn as nn


class Normed(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(8)


def features(model, batches):
    with torch.no_grad():
        return [model(x).numpy() for x in batches]


if __name__ == "__main__":
    if len(sys.argv) > 1:
        model = torch.load(sys.argv[1])
    else:
        model = Normed()
    features(model, torch.load("batches.pt"))
