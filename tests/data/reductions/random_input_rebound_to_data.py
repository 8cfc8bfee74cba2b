import torch
from torchvision import models

net = models.resnet18(pretrained=True)
x = torch.randn(1, 3, 224, 224)
print(net(x).shape)
x = torch.load("batch.pt")
print(net(x).argmax(1))
