from torchvision.models import resnet18

from backbones.base import EncoderBase


class ResNet18(EncoderBase):
    def __init__(self):
        super(ResNet18, self).__init__(resnet18)
