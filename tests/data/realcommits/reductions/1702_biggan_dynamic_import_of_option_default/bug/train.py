import torch
import torch.nn as nn

import options


def run(config, loader):
    model = __import__(config["model"])
    G = model.Generator()
    D = nn.Sequential(nn.Conv2d(8, 1, 3), nn.Flatten())
    pair = model.GD(G, D)
    opt = torch.optim.Adam(pair.parameters())
    for epoch in range(config["epochs"]):
        G.train()
        for z in loader:
            opt.zero_grad()
            pair(z).mean().backward()
            opt.step()
            if config["G_eval_mode"]:
                G.eval()


def main():
    config = vars(options.prepare_parser().parse_args())
    run(config, [])
