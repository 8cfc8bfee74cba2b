import torch
import torchvision


def resnet50(device="cuda"):
    model = torchvision.models.resnet50(num_classes=128)
    model = model.to(device)
    model.load_state_dict(torch.load("trunk.torch", map_location=device)["trunk_state_dict"])
    return model
