import torch
import torchvision


def summary(model, input_size, device="cpu"):
    x = [torch.rand(2, *input_size)]
    with torch.no_grad():
        _ = model(*x)


model = torchvision.models.resnet50()
summary(model, (3, 224, 224))
