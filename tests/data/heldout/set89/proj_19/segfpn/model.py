import torch
import torch.nn as nn
import torch.nn.functional as F

from .encoder import MobileNetV2Encoder


class Conv3x3GNReLU(nn.Module):
    def __init__(self, in_channels, out_channels, upsample=False):
        super().__init__()
        self.upsample = upsample
        self.block = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, (3, 3), stride=1, padding=1, bias=False),
            nn.GroupNorm(32, out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        x = self.block(x)
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
        return x


class FPNBlock(nn.Module):
    def __init__(self, pyramid_channels, skip_channels):
        super().__init__()
        self.skip_conv = nn.Conv2d(skip_channels, pyramid_channels, kernel_size=1)

    def forward(self, x, skip=None):
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return x + self.skip_conv(skip)


class SegmentationBlock(nn.Module):
    def __init__(self, in_channels, out_channels, n_upsamples=0):
        super().__init__()
        blocks = [Conv3x3GNReLU(in_channels, out_channels, upsample=bool(n_upsamples))]
        if n_upsamples > 1:
            for _ in range(1, n_upsamples):
                blocks.append(Conv3x3GNReLU(out_channels, out_channels, upsample=True))
        self.block = nn.Sequential(*blocks)

    def forward(self, x):
        return self.block(x)


class FPNDecoder(nn.Module):
    def __init__(self, encoder_channels, pyramid_channels=256, segmentation_channels=128, dropout=0.2):
        super().__init__()
        encoder_channels = encoder_channels[::-1]
        self.p5 = nn.Conv2d(encoder_channels[0], pyramid_channels, kernel_size=1)
        self.p4 = FPNBlock(pyramid_channels, encoder_channels[1])
        self.p3 = FPNBlock(pyramid_channels, encoder_channels[2])
        self.p2 = FPNBlock(pyramid_channels, encoder_channels[3])
        self.seg_blocks = nn.ModuleList([
            SegmentationBlock(pyramid_channels, segmentation_channels, n_upsamples=n) for n in [3, 2, 1, 0]
        ])
        self.dropout = nn.Dropout2d(p=dropout, inplace=True)
        self.out_channels = segmentation_channels

    def forward(self, *features):
        c2, c3, c4, c5 = features
        p5 = self.p5(c5)
        p4 = self.p4(p5, c4)
        p3 = self.p3(p4, c3)
        p2 = self.p2(p3, c2)
        feature_pyramid = [seg_block(p) for seg_block, p in zip(self.seg_blocks, [p5, p4, p3, p2])]
        return self.dropout(sum(feature_pyramid))


class ClassificationHead(nn.Module):
    """Global multi-label head: pool -> Linear(no bias) -> BN1d -> ReLU -> Linear."""

    def __init__(self, in_channels, classes, hidden=256, dropout=0.2):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(in_channels, hidden, bias=False)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        x = torch.flatten(self.pool(x), 1)
        x = F.relu(self.bn(self.fc1(x)))
        return self.fc2(self.drop(x))


class FPN(nn.Module):
    def __init__(self, classes=19, width_mult=1.0, aux_classes=None):
        super().__init__()
        self.encoder = MobileNetV2Encoder(width_mult)
        self.decoder = FPNDecoder(self.encoder.out_channels)
        self.segmentation_head = nn.Conv2d(self.decoder.out_channels, classes, kernel_size=1)
        self.classification_head = (
            ClassificationHead(self.encoder.out_channels[-1], aux_classes) if aux_classes else None
        )

    def forward(self, x):
        h, w = x.shape[-2:]
        features = self.encoder(x)
        masks = self.segmentation_head(self.decoder(*features))
        masks = F.interpolate(masks, size=(h, w), mode="bilinear", align_corners=False)
        if self.classification_head is not None:
            return masks, self.classification_head(features[-1])
        return masks

    @torch.no_grad()
    def predict(self, x):
        """Inference method: switches the model to eval mode and runs forward without grad."""
        if self.training:
            self.eval()
        out = self.forward(x)
        return out[0] if isinstance(out, tuple) else out
