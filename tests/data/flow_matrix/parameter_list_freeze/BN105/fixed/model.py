import torch.nn as nn
from torchvision.models import mobilenet_v2


def build(classes):
    net = mobilenet_v2(weights="DEFAULT")
    net.classifier[1] = nn.Linear(net.last_channel, classes)
    return net
