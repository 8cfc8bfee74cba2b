from copy import deepcopy

import torch

from models import MODELS


def get_model(row):
    model = deepcopy(MODELS[row["name"]])
    model.load_state_dict(torch.load(row["path"]))
    return model


def test_model(model, loader):
    scores = []
    for x, y in loader:
        with torch.no_grad():
            scores.append((model(x).argmax(1) == y).float().mean().item())
    return sum(scores) / len(scores)
