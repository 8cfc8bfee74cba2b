from torchvision import models


def net(name, num_classes):
    if name == "deeplabv3_resnet101":
        return models.segmentation.deeplabv3_resnet101(num_classes=num_classes)
    raise ValueError(name)
