import torch
from pytorch_lightning import LightningModule
from torchvision.models.segmentation import deeplabv3_resnet50


class SegmentationModel(LightningModule):
    def __init__(self):
        super().__init__()
        self.net = deeplabv3_resnet50(num_classes=3)
        self.eval()

    def forward(self, batch):
        return self.net(batch)['out']

    @torch.no_grad()
    def predict(self, images):
        return torch.argmax(self(images), 1)
