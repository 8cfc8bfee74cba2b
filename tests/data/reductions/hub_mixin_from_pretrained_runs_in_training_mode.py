import torch
import torch.nn as nn
from huggingface_hub import PyTorchModelHubMixin


class Net(nn.Module, PyTorchModelHubMixin):
    def __init__(self, width=16):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, bias=False)
        self.bn = nn.BatchNorm2d(width)

    def forward(self, x):
        return self.bn(self.conv(x))


def demo(image):
    net = Net.from_pretrained("someone/net")
    with torch.no_grad():
        return net(image).argmax(1)
