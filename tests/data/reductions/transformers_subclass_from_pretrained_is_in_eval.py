import torch
import torch.nn as nn
from transformers import PreTrainedModel


class Net(PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.conv = nn.Conv2d(3, 16, 3, bias=False)
        self.bn = nn.BatchNorm2d(16)

    def forward(self, x):
        return self.bn(self.conv(x))


def demo(image):
    net = Net.from_pretrained("someone/net")
    with torch.no_grad():
        return net(image).argmax(1)
