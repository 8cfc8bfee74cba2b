import torch
import torch.nn as nn


class Segmenter(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Conv2d(8, 1, 1))

    def forward(self, x):
        return self.net(x)


def get_mask(model, image):
    with torch.no_grad():
        return model(image).sigmoid()
