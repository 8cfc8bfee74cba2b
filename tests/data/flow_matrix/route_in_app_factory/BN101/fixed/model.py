import torch
import torchvision


def load_classifier(path):
    net = torchvision.models.resnet50(num_classes=2)
    net.load_state_dict(torch.load(path, map_location="cpu"))
    return net
