import torch
import torch.nn as nn


class DeepSpeech(nn.Module):
    def __init__(self, num_classes=29):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 32, 3), nn.BatchNorm2d(32))

    def forward(self, x):
        return self.conv(x)

    @classmethod
    def load_model(cls, path):
        package = torch.load(path)
        model = cls(num_classes=package['nout'])
        model.load_state_dict(package['state_dict'])
        return model
