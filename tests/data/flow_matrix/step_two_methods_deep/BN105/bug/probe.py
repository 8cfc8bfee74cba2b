import torch
import torch.nn as nn


class LinearProbe:
    def __init__(self, backbone, classifier):
        self.backbone = backbone
        self.classifier = classifier
        self.optimizer = torch.optim.SGD(classifier.parameters(), lr=0.1)

    def run(self, loader, epochs):
        for _ in range(epochs):
            self.fit(loader)

    def fit(self, loader):
        self.backbone.train()
        for x, y in loader:
            loss = nn.functional.cross_entropy(self.classifier(self.backbone(x)), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
