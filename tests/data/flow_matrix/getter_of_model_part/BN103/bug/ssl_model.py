import torch.nn as nn


class SimSiam(nn.Module):
    def __init__(self, dim=128):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 32, 3), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                     nn.Flatten())
        self.projector = nn.Sequential(nn.Linear(32, dim), nn.BatchNorm1d(dim))

    def forward(self, x1, x2):
        z1, z2 = self.projector(self.encoder(x1)), self.projector(self.encoder(x2))
        return -nn.functional.cosine_similarity(z1, z2.detach()).mean()

    def get_encoder_for_eval(self):
        return self.encoder
