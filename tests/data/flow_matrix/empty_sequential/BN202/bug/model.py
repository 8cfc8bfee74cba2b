import torch.nn as nn
import torchvision

from heads import projection_head


class SimCLR(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torchvision.models.resnet18(num_classes=512)
        self.head = projection_head(512, 256, 128)

    def forward(self, x):
        return self.head(self.encoder(x))
