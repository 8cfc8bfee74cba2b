import torch
import torchvision.models as models
from torch import nn


class MLPHead(nn.Sequential):
    def __init__(self, in_channels, mlp_hidden_size, projection_size):
        super().__init__(
            nn.Linear(in_channels, mlp_hidden_size),
            nn.BatchNorm1d(mlp_hidden_size),
            nn.ReLU(inplace=True),
            nn.Linear(mlp_hidden_size, projection_size),
        )


class ResNet18(torch.nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()
        if kwargs["name"] == "resnet18":
            resnet = models.resnet18(pretrained=False)
        elif kwargs["name"] == "resnet50":
            resnet = models.resnet50(pretrained=False)
        else:
            raise NotImplementedError
        self.encoder = torch.nn.Sequential(*list(resnet.children())[:-1])
        self.projection = MLPHead(in_channels=resnet.fc.in_features, **kwargs["projection_head"])

    def forward(self, x):
        h = self.encoder(x)
        h = h.view(h.shape[0], h.shape[1])
        return self.projection(h)
