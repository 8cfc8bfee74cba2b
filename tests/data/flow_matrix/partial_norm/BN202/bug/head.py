import torch.nn as nn

from layers import Norm


class EmbeddingHead(nn.Module):
    def __init__(self, in_features=2048, dim=512):
        super().__init__()
        self.fc = nn.Linear(in_features, dim, bias=False)
        self.bn = Norm(dim)

    def forward(self, features):
        return self.bn(self.fc(features.flatten(1)))
