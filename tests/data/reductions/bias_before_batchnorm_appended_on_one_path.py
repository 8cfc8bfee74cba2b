import torch.nn as nn


def block(in_feat, out_feat, normalize=True):
    layers = [nn.Linear(in_feat, out_feat)]
    if normalize:
        layers.append(nn.BatchNorm1d(out_feat))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return layers


class G(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(*block(10, 128, normalize=False), *block(128, 256), *block(256, 512), nn.Linear(512, 3))

    def forward(self, z):
        return self.model(z)
