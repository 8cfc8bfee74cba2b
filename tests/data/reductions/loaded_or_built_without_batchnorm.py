import sys

import torch
import torch.nn as nn


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)


def features(model, batches):
    with torch.no_grad():
        return [model(x).numpy() for x in batches]


if __name__ == "__main__":
    if len(sys.argv) > 1:
        model = torch.load(sys.argv[1])
    else:
        model = Plain()
    features(model, torch.load("batches.pt"))
