"""3D residual U-Net for multi-organ CT segmentation."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBlock3d(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(cout)
        self.conv2 = nn.Conv3d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm3d(cout, eps=1e-3, momentum=0.9)  # expect: BN205
        self.skip = None
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(
                nn.Conv3d(cin, cout, 1, stride=stride, bias=False),
                nn.BatchNorm3d(cout),
            )

    def forward(self, x):
        identity = x if self.skip is None else self.skip(x)
        out = F.leaky_relu(self.bn1(self.conv1(x)), 0.01)
        out = self.bn2(self.conv2(out))
        return F.leaky_relu(out + identity, 0.01)


class Decoder3d(nn.Module):
    def __init__(self, cin, cskip, cout):
        super().__init__()
        self.up = nn.ConvTranspose3d(cin, cout, kernel_size=2, stride=2)
        self.block = ConvBlock3d(cout + cskip, cout)

    def forward(self, x, skip):
        x = self.up(x)
        if x.shape[2:] != skip.shape[2:]:
            x = F.interpolate(x, size=skip.shape[2:], mode="trilinear", align_corners=False)
        return self.block(torch.cat([x, skip], dim=1))


class ResUNet3d(nn.Module):
    def __init__(self, in_channels=1, num_classes=14, widths=(24, 48, 96, 192, 320)):
        super().__init__()
        self.enc = nn.ModuleList()
        cin = in_channels
        for i, w in enumerate(widths):
            self.enc.append(ConvBlock3d(cin, w, stride=1 if i == 0 else 2))
            cin = w
        self.dec = nn.ModuleList()
        for i in range(len(widths) - 1, 0, -1):
            self.dec.append(Decoder3d(widths[i], widths[i - 1], widths[i - 1]))
        self.head = nn.Conv3d(widths[0], num_classes, 1)

    def forward(self, x):
        skips = []
        for block in self.enc:
            x = block(x)
            skips.append(x)
        x = skips.pop()
        for block in self.dec:
            x = block(x, skips.pop())
        return self.head(x)


def soft_dice_loss(logits, target, num_classes, eps=1e-5):
    probs = logits.softmax(dim=1)
    onehot = F.one_hot(target, num_classes).permute(0, 4, 1, 2, 3).float()
    dims = (0, 2, 3, 4)
    inter = (probs * onehot).sum(dims)
    denom = probs.sum(dims) + onehot.sum(dims)
    return 1 - ((2 * inter + eps) / (denom + eps)).mean()


class DiceCELoss(nn.Module):
    def __init__(self, num_classes, ce_weight=1.0, dice_weight=1.0):
        super().__init__()
        self.num_classes = num_classes
        self.ce_weight = ce_weight
        self.dice_weight = dice_weight

    def forward(self, logits, target):
        ce = F.cross_entropy(logits, target)
        dice = soft_dice_loss(logits, target, self.num_classes)
        return self.ce_weight * ce + self.dice_weight * dice
