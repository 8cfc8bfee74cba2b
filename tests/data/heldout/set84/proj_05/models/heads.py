"""Heatmap (deconv) head and an auxiliary joint-visibility head."""
import torch.nn as nn

import configs as C


class DeconvHead(nn.Module):
    def __init__(self, in_channels, num_joints, num_layers=C.NUM_DECONV,
                 channels=C.DECONV_CHANNELS, kernel=C.DECONV_KERNEL):
        super().__init__()
        layers = []
        for _ in range(num_layers):
            layers += [
                nn.ConvTranspose2d(in_channels, channels, kernel, stride=2, padding=1,
                                   output_padding=0, bias=False),
                nn.BatchNorm2d(channels, momentum=C.BN_MOMENTUM),
                nn.ReLU(inplace=True),
            ]
            in_channels = channels
        self.deconv = nn.Sequential(*layers)
        self.final = nn.Conv2d(channels, num_joints, kernel_size=1)
        for m in self.modules():
            if isinstance(m, (nn.ConvTranspose2d, nn.Conv2d)):
                nn.init.normal_(m.weight, std=0.001)
            if isinstance(m, nn.Conv2d) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.final(self.deconv(x))


class VisibilityHead(nn.Module):
    """Predicts per-joint visibility logits from pooled backbone features."""

    def __init__(self, in_channels, num_joints, hidden=256):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d((2, 2))
        self.mlp = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * 4, hidden, bias=False),
            nn.BatchNorm2d(hidden),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_joints),
        )

    def forward(self, x):
        return self.mlp(self.pool(x))
