import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(10))

    def forward(self, x):
        return self.visual(x)

def evaluate(model, loader):
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            model(x)


def train(model, loader, val_loader, optimizer, args):
    model.train()
    if args.freeze_vision:
        visual_modules = model.module.visual.modules() if isinstance(model, nn.parallel.DistributedDataParallel) else model.visual.modules()
        for m in visual_modules:
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
    for step, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        if (step + 1) % args.valid_step_interval == 0:
            evaluate(model, val_loader)
            model.train()


def main(args, loader, val_loader):
    model = Net()
    if args.freeze_vision:
        model.visual.requires_grad_(False)
        for m in model.visual.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        train(model, loader, val_loader, optimizer, args)
