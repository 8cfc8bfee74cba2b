import torch
import torch.nn as nn
import torch.nn.functional as F

from .decoder import ConvBlock, DepthHead, LocalPlanarGuidance, UpBlock
from .encoder import ResNetEncoder


class DepthNet(nn.Module):
    """Encoder-decoder with skip connections (Monodepth2-style decoder)."""

    def __init__(self, encoder_depth=50, pretrained_path=None, min_depth=1e-3, max_depth=10.0,
                 dec_channels=(256, 128, 64, 32, 16)):
        super().__init__()
        self.encoder = ResNetEncoder(encoder_depth, pretrained_path)
        enc = self.encoder.num_ch
        skips = [enc[3], enc[2], enc[1], enc[0], 0]
        in_chs = [enc[4]] + list(dec_channels[:-1])
        self.decoder = nn.ModuleList([UpBlock(i, s, o) for i, s, o in
                                      zip(in_chs, skips, dec_channels)])
        self.head = DepthHead(dec_channels[-1], min_depth, max_depth)

    def forward(self, x):
        feats = self.encoder(x)
        y = feats[4]
        skips = [feats[3], feats[2], feats[1], feats[0], None]
        for block, skip in zip(self.decoder, skips):
            y = block(y, skip)
        return self.head(y)


class UNetDepth(DepthNet):
    """Same as DepthNet with a wider decoder."""

    def __init__(self, **kwargs):
        kwargs.setdefault('dec_channels', (512, 256, 128, 64, 32))
        super().__init__(**kwargs)


class BTSLite(nn.Module):
    def __init__(self, encoder_depth=50, pretrained_path=None, min_depth=1e-3, max_depth=10.0):
        super().__init__()
        self.encoder = ResNetEncoder(encoder_depth, pretrained_path)
        enc = self.encoder.num_ch
        self.up4 = UpBlock(enc[4], enc[3], 256)
        self.up3 = UpBlock(256, enc[2], 128)
        self.lpg8 = LocalPlanarGuidance(128, 8)
        self.up2 = UpBlock(128, enc[1], 64)
        self.up1 = UpBlock(64, enc[0], 32)
        self.refine = ConvBlock(32 + 1, 32)
        self.head = DepthHead(32, min_depth, max_depth)
        self.max_depth = max_depth

    def forward(self, x):
        f0, f1, f2, f3, f4 = self.encoder(x)
        y = self.up3(self.up4(f4, f3), f2)
        depth_8 = self.lpg8(y)
        y = self.up1(self.up2(y, f1), f0)
        y = F.interpolate(y, scale_factor=2, mode='nearest')
        depth_8 = F.interpolate(depth_8, size=y.shape[-2:], mode='nearest') / self.max_depth
        return self.head(self.refine(torch.cat([y, depth_8], dim=1)))
