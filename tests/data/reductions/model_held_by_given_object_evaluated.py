import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)


def evaluate_cls_fn(self, test_dataloader):
    # written to be bound as a method of a launcher: `self.model` is the launcher's model
    correct = 0
    with torch.no_grad():
        for images, labels in test_dataloader:
            y = self.model(images)
            correct += (y.argmax(dim=1) == labels).sum().item()
    return correct
