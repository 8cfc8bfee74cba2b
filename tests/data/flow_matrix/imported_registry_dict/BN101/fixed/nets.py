import torch.nn as nn


class unet(nn.Module):
    def __init__(self, parameters):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))


global_models_dict = {"unet": unet}
