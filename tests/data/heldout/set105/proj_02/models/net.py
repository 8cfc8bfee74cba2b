from torch import nn

from models.backbone import FrozenBNTrunk
from models.head import make_head


class Net(nn.Module):
    def __init__(self, num_classes, pretrained=True):
        super().__init__()
        self.trunk = FrozenBNTrunk(pretrained=pretrained)
        self.head = make_head(FrozenBNTrunk.out_channels, num_classes)

    def forward(self, x):
        return self.head(self.trunk(x))


def build_net(num_classes, pretrained=True):
    return Net(num_classes, pretrained=pretrained)
