import argparse

import torch
from torch.utils import data

import network


def main(train_set):
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="deeplab_small")
    parser.add_argument("--batch_size", type=int, default=16)
    opts = parser.parse_args()
    model_map = {"deeplab_small": network.deeplab_small, "deeplab_large": network.deeplab_large}
    model = model_map[opts.model](num_classes=21)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    train_loader = data.DataLoader(train_set, batch_size=opts.batch_size, shuffle=True, drop_last=True)
    model.train()
    for images, labels in train_loader:
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
