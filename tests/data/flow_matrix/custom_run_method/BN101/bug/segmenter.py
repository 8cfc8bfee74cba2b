import torch
import torch.nn as nn
import torch.nn.functional as F


class Segmenter(nn.Module):
    def __init__(self, num_classes=19):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU())
        self.classifier = nn.Conv2d(64, num_classes, 1)

    def forward(self, x):
        return self.classifier(self.encoder(x))

    def inference(self, x):
        logits = self.forward(x)
        return F.softmax(logits, dim=1).argmax(1)
