# Modelled on: https://github.com/lightly-ai/lightly/issues/1438 ("deactivate_requires_grad does not fix the
# model!": the backbone is frozen with requires_grad=False for a linear evaluation, but its BatchNorm layers stay
# in training mode, so their running statistics keep changing).
# Bug: BN105.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse


def deactivate_requires_grad(model):
    for param in model.parameters():
        param.requires_grad = False


class LinearClassifier(nn.Module):
    def __init__(self, backbone, feature_dim=64, num_classes=10):
        super().__init__()
        self.backbone = backbone
        deactivate_requires_grad(backbone)
        self.classification_head = nn.Linear(feature_dim, num_classes)

    def forward(self, images):
        features = self.backbone(images).flatten(start_dim=1)
        return self.classification_head(features)


backbone = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                         nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1))
args = parse()
classifier = LinearClassifier(backbone)
optimizer = torch.optim.SGD(classifier.classification_head.parameters(), lr=0.1)
loader = DataLoader(TensorDataset(torch.randn(128, 3, 16, 16), torch.randint(0, 10, (128,))), batch_size=32,
                    shuffle=True, drop_last=True)
step = 0
with Clock():
    for epoch in range(100):
        classifier.train()
        for images, targets in loader:
            loss = nn.functional.cross_entropy(classifier(images), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step >= args.steps:
                break
        if step >= args.steps:
            break
