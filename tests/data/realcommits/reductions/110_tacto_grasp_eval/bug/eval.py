import torch
import torchvision
from torch import nn


def base_net():
    net = torchvision.models.resnet18()
    modules = list(net.children())[:-1]
    net = nn.Sequential(*modules)
    return net


model = base_net()
loader = [torch.randn(4, 3, 32, 32)]


def evaluation():
    for x in loader:
        with torch.no_grad():
            print(model(x).argmax(-1))


evaluation()
