import argparse
import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, classes=40):
        super().__init__()
        self.hidden = nn.Linear(1024, 512)
        self.norm = nn.BatchNorm1d(512)
        self.out = nn.Linear(512, classes)

    def forward(self, x):
        return self.out(F.relu(self.norm(self.hidden(x))))


def options():
    parser = argparse.ArgumentParser()
    parser.add_argument('--batch-size', type=int, default=16)
    return parser.parse_args()


def main(args, dataset):
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True)
    model = Classifier()
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(10):
        model.train()
        for points, target in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(points), target).backward()
            optimizer.step()


if __name__ == '__main__':
    main(options(), None)
