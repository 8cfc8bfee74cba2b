import torch
import torchvision
from torch import nn

from util import freeze_params


class Encoder(nn.Module):
    def __init__(self, freeze_at=2):
        super().__init__()
        self.resnet = torchvision.models.resnet50()
        if freeze_at >= 1:
            freeze_params(self.resnet.conv1)
            freeze_params(self.resnet.bn1)

    def forward(self, x):
        return self.resnet(x)


def run(loader, num_epochs):
    model = Encoder()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for i in range(num_epochs):
        model.train()
        for x, y in loader:
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
