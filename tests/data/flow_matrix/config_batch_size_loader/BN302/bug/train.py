import json
import sys

import torch
from torch.utils.data import DataLoader

from model import Tabular


def train(dataset, config):
    model = Tabular(config["n_in"])
    opt = torch.optim.Adam(model.parameters())
    loader = DataLoader(dataset, batch_size=config["batch_size"], shuffle=True)
    model.train()
    for x, y in loader:
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


if __name__ == "__main__":
    train(torch.load(sys.argv[1]), json.load(open(sys.argv[2])))
