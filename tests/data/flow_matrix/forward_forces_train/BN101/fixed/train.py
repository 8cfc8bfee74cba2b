import argparse

import torch
from torch.utils.data import DataLoader

from finetune import Finetune


def validate(model, loader):
    model.eval()
    with torch.no_grad():
        return [model(x).argmax(1) for x, _ in loader]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--freeze_backbone", action="store_true")
    parser.add_argument("--num_classes", type=int, default=10)
    args = parser.parse_args()
    model = Finetune(args)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    train_loader = DataLoader([], batch_size=32, drop_last=True)
    for epoch in range(10):
        model.train()
        for x, y in train_loader:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        validate(model, DataLoader([], batch_size=64))


if __name__ == "__main__":
    main()
