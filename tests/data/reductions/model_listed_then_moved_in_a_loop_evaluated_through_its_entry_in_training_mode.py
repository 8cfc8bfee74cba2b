import sys

import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        return self.bn(x)


def trace(image, model=None):
    for i in range(10):
        out = model(image).detach().cpu().numpy()
    return out


if sys.argv[1] == "a":
    net = Net()
elif sys.argv[1] == "b":
    net = Net()
models = []
models.append(net)
if torch.cuda.is_available():
    for net in models:
        net = net.cuda()
net.load_state_dict(torch.load("ckpt.pt"))
for img in torch.load("test.pt"):
    spline = trace(img, model=models[0])
