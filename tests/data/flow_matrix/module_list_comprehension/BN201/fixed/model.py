from torch import nn

from shapelets import ShapeletBlocks


class Classifier(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.shapelets = ShapeletBlocks()
        self.head = nn.Sequential(nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(120, classes))

    def forward(self, x):
        return self.head(self.shapelets(x))
