import argparse

import torch
from torch.utils.data import DataLoader

from finetune import Finetune


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--freeze_backbone", action="store_true")
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--num_classes", type=int, default=10)
    args = parser.parse_args()
    model = Finetune(args)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01)
    loader = DataLoader([], batch_size=32, drop_last=True)
    for epoch in range(10):
        if args.fast:
            model.head.train()
        else:
            model.train()
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()


if __name__ == "__main__":
    main()
