import torch
import torch.nn as nn

from .blocks import ConvBNReLU


class Backbone(nn.Module):
    channels = (32, 64, 128, 256)

    def __init__(self):
        super().__init__()
        c1, c2, c3, c4 = self.channels
        self.stem = ConvBNReLU(3, c1, stride=2)
        self.stage1 = nn.Sequential(ConvBNReLU(c1, c2, stride=2), ConvBNReLU(c2, c2))
        self.stage2 = nn.Sequential(ConvBNReLU(c2, c3, stride=2), ConvBNReLU(c3, c3))
        self.stage3 = nn.Sequential(ConvBNReLU(c3, c4, stride=2), ConvBNReLU(c4, c4))

    @property
    def out_channels(self):
        return self.channels[-1]

    def forward(self, x):
        x = self.stem(x)
        x = self.stage1(x)
        x = self.stage2(x)
        return self.stage3(x)

    def load_pretrained(self, path):
        state = torch.load(path, map_location="cpu")
        missing, unexpected = self.load_state_dict(state, strict=False)
        print(f"backbone: {len(missing)} missing, {len(unexpected)} unexpected keys")
