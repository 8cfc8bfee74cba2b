import torch
import torch.nn.functional as F
from torch.nn import Module
from torchvision.models.segmentation import deeplabv3_resnet50


class SegmentationModel(Module):
    def __init__(self):
        super().__init__()
        self.net = deeplabv3_resnet50(num_classes=3)

    def forward(self, batch):
        return self.net(batch)['out']

    def fit_batch(self, images, masks, optimizer):
        loss = F.cross_entropy(self.forward(images), masks)
        loss.backward()
        optimizer.step()
