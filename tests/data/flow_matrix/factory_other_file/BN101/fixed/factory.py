import torchvision

from nets import Net


def create_model(name, num_classes):
    if name == "net":
        return Net(num_classes)
    return torchvision.models.resnet18(num_classes=num_classes)
