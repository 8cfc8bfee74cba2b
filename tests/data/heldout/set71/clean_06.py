"""UNet decoder on a small residual encoder (segmentation_models style).

The decoder receives the encoder feature list, upsamples, concatenates the
matching skip tensor and refines with two conv-BN-ReLU layers.
"""
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv2dReLU(nn.Sequential):
    def __init__(self, in_channels, out_channels, kernel_size, padding=0, stride=1, use_batchnorm=True):
        conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                         bias=not use_batchnorm)
        relu = nn.ReLU(inplace=True)
        bn = nn.BatchNorm2d(out_channels) if use_batchnorm else nn.Identity()
        super().__init__(conv, bn, relu)


class ResBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x), inplace=True)


class Encoder(nn.Module):
    def __init__(self, in_channels=3, widths: Sequence[int] = (32, 64, 128, 256, 512)):
        super().__init__()
        self.out_channels = [in_channels] + list(widths)
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 7, 2, 3, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        self.stages = nn.ModuleList()
        for prev, cur in zip(widths[:-1], widths[1:]):
            self.stages.append(nn.Sequential(ResBlock(prev, cur, stride=2), ResBlock(cur, cur)))

    def forward(self, x) -> List[torch.Tensor]:
        feats = [x]
        x = self.stem(x)
        feats.append(x)
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats


class DecoderBlock(nn.Module):
    def __init__(self, in_channels, skip_channels, out_channels, use_batchnorm=True):
        super().__init__()
        self.conv1 = Conv2dReLU(in_channels + skip_channels, out_channels, 3, padding=1,
                                use_batchnorm=use_batchnorm)
        self.conv2 = Conv2dReLU(out_channels, out_channels, 3, padding=1, use_batchnorm=use_batchnorm)

    def forward(self, x, skip=None):
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        return self.conv2(self.conv1(x))


class UnetDecoder(nn.Module):
    def __init__(self, encoder_channels: Sequence[int], decoder_channels: Sequence[int] = (256, 128, 64, 32, 16)):
        super().__init__()
        encoder_channels = list(encoder_channels[1:])[::-1]
        head_channels = encoder_channels[0]
        in_channels = [head_channels] + list(decoder_channels[:-1])
        skip_channels = list(encoder_channels[1:]) + [0]
        self.blocks = nn.ModuleList(
            [DecoderBlock(i, s, o) for i, s, o in zip(in_channels, skip_channels, decoder_channels)]
        )

    def forward(self, *features):
        features = features[1:][::-1]
        x = features[0]
        skips = features[1:]
        for i, block in enumerate(self.blocks):
            skip = skips[i] if i < len(skips) else None
            x = block(x, skip)
        return x


class Unet(nn.Module):
    def __init__(self, in_channels=3, classes=1, decoder_channels=(256, 128, 64, 32, 16)):
        super().__init__()
        self.encoder = Encoder(in_channels)
        self.decoder = UnetDecoder(self.encoder.out_channels, decoder_channels)
        self.segmentation_head = nn.Conv2d(decoder_channels[-1], classes, kernel_size=3, padding=1)

    def forward(self, x):
        features = self.encoder(x)
        return self.segmentation_head(self.decoder(*features))


if __name__ == "__main__":
    model = Unet(in_channels=3, classes=4)
    print(model.segmentation_head)
