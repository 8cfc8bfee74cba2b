"""3-D U-Net (Cicek et al., 2016) for volumetric segmentation.

Encoder level l produces base * 2**(l+1) channels; the first conv of each
level outputs half of that (the 3-D U-Net "analysis path" convention).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv3d_bn_relu(in_ch, out_ch, k=3):
    return nn.Sequential(
        nn.Conv3d(in_ch, out_ch, kernel_size=k, padding=k // 2, bias=False),
        nn.BatchNorm3d(out_ch),
        nn.ReLU(inplace=True),
    )


class EncoderLevel(nn.Module):
    def __init__(self, in_ch, level, base=32):
        super().__init__()
        out_ch = base * 2 ** (level + 1)
        self.conv1 = nn.Conv3d(in_ch, out_ch // 2, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(base * 2 ** level)
        self.conv2 = nn.Conv3d(out_ch // 2, out_ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm3d(base * 2 ** (level + 1))
        self.out_channels = out_ch

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)), inplace=True)
        return F.relu(self.bn2(self.conv2(x)), inplace=True)


class DecoderLevel(nn.Module):
    def __init__(self, in_ch, skip_ch):
        super().__init__()
        self.up = nn.ConvTranspose3d(in_ch, in_ch, kernel_size=2, stride=2)
        out_ch = skip_ch
        self.block = nn.Sequential(
            conv3d_bn_relu(in_ch + skip_ch, out_ch),
            conv3d_bn_relu(out_ch, out_ch),
        )

    def forward(self, x, skip):
        x = self.up(x)
        if x.shape[-3:] != skip.shape[-3:]:
            x = F.interpolate(x, size=skip.shape[-3:], mode="trilinear", align_corners=False)
        return self.block(torch.cat([skip, x], dim=1))


class RefineHead(nn.Module):
    """Post-activation refinement: conv (with bias) -> LeakyReLU -> BN -> 1x1 classifier."""

    def __init__(self, in_ch, num_classes, hidden=16):
        super().__init__()
        self.conv = nn.Conv3d(in_ch, hidden, 3, padding=1)
        self.act = nn.LeakyReLU(0.01, inplace=True)
        self.bn = nn.BatchNorm3d(hidden)
        self.cls = nn.Conv3d(hidden, num_classes, 1)

    def forward(self, x):
        return self.cls(self.bn(self.act(self.conv(x))))


class UNet3D(nn.Module):
    def __init__(self, in_channels=1, num_classes=3, base=32, depth=4):
        super().__init__()
        self.encoders = nn.ModuleList()
        ch = in_channels
        skips = []
        for level in range(depth):
            enc = EncoderLevel(ch, level, base)
            self.encoders.append(enc)
            ch = enc.out_channels
            skips.append(ch)
        self.pool = nn.MaxPool3d(2)
        self.decoders = nn.ModuleList()
        for skip_ch in reversed(skips[:-1]):
            self.decoders.append(DecoderLevel(ch, skip_ch))
            ch = skip_ch
        self.head = RefineHead(ch, num_classes)

    def forward(self, x):
        feats = []
        for i, enc in enumerate(self.encoders):
            x = enc(x if i == 0 else self.pool(x))
            feats.append(x)
        x = feats.pop()
        for dec in self.decoders:
            x = dec(x, feats.pop())
        return self.head(x)


if __name__ == "__main__":
    net = UNet3D(in_channels=4, num_classes=3, base=16)
    n_params = sum(p.numel() for p in net.parameters())
    print(f"{n_params / 1e6:.2f}M parameters")
