import torch
import torch.nn as nn


class LeafClassifier(nn.Module):
    def __init__(self, classes=12):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        return self.head(self.features(x))

    @torch.no_grad()
    def infer_proba(self, images):
        return self(images).softmax(dim=-1)
