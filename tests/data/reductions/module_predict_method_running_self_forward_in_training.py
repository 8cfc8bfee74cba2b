import torch
from torch.nn import Module
from torchvision.models.segmentation import deeplabv3_resnet50


class SegmentationModel(Module):
    def __init__(self):
        super().__init__()
        self.net = deeplabv3_resnet50(num_classes=3)

    def forward(self, batch):
        return self.net(batch)['out']

    @torch.no_grad()
    def predict(self, images):
        return torch.argmax(self.forward(images), 1)
