import torch
import torch.nn as nn
from torchvision.models import resnet18

net = resnet18(pretrained=True)
modules = list(net.children())[:-1]
net = nn.Sequential(*modules)
with torch.no_grad():
    feats = net(torch.randn(1, 3, 224, 224))
