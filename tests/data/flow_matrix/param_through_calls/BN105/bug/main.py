import torch
import torch.nn as nn

from loops import train
from nets import Net


def freeze(module):
    for p in module.parameters():
        p.requires_grad = False


def finetune(loader):
    model = Net(num_classes=5)
    model.load_state_dict(torch.load("pretrained.pt"), strict=False)
    freeze(model.conv)
    freeze(model.bn)
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.01)
    train(model, loader, optimizer, 10)
