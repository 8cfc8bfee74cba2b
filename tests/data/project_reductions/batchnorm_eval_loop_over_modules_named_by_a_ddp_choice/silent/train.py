import torch
from torch import nn


def evaluate(model, loader):
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            model(x)


def freeze_vision_bn(args, model):
    if args.freeze_vision:
        visual_modules = model.module.visual.modules() if isinstance(model, nn.parallel.DistributedDataParallel) else model.visual.modules()
        for m in visual_modules:
            if isinstance(m, nn.BatchNorm2d):
                m.eval()


def train(model, loader, val_loader, optimizer, args):
    model.train()
    freeze_vision_bn(args, model)
    for step, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        if (step + 1) % args.valid_step_interval == 0:
            evaluate(model, val_loader)
            model.train()
            freeze_vision_bn(args, model)
