import torch.nn as nn
from torchvision import models


class Net(nn.Module):
    def __init__(self, embedding_size=512):
        super().__init__()
        resnet_model = models.resnet50(pretrained=True)
        self.resnet_layer = nn.Sequential(*list(resnet_model.children())[:-1])
        self.extract_layer = nn.Sequential(nn.Linear(2048, embedding_size, bias=False), nn.BatchNorm1d(embedding_size))

    def __num_flat_features(self, x):
        size = x.size()[1:]
        num_features = 1
        for s in size:
            num_features *= s
        return num_features

    def extract_feature(self, x):
        x = self.resnet_layer(x)
        x = x.view(-1, self.__num_flat_features(x))
        return self.extract_layer(x)
