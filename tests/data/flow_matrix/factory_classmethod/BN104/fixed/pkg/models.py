import torch.nn as nn
import torchvision


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.cnn = torchvision.models.resnet50()

    def forward(self, x):
        return self.cnn(x)


class Captioner(nn.Module):
    def __init__(self, visual, textual):
        super().__init__()
        self.visual = visual
        self.textual = textual

    def forward(self, x):
        return self.textual(self.visual(x))
