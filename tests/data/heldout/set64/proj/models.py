"""Model zoo for the leaf-disease classifier (PlantVillage-style images)."""
import torch
import torch.nn as nn

STEM_WIDTH = 32
STAGE_WIDTHS = (64, 128, 256, 512)
STAGE_DEPTHS = {"tiny": (1, 1, 2, 1), "small": (2, 2, 3, 2)}
NUM_CLASSES = 38


def conv_bn(in_ch, out_ch, kernel_size=3, stride=1, act=True):
    layers = [nn.Conv2d(in_ch, out_ch, kernel_size, stride, kernel_size // 2, bias=False),
              nn.BatchNorm2d(out_ch, momentum=0.01)]
    if act:
        layers.append(nn.SiLU(inplace=True))
    return nn.Sequential(*layers)


class SEModule(nn.Module):
    def __init__(self, channels, reduction=16):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))


class ResidualSE(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(in_ch, out_ch, stride=stride),
            conv_bn(out_ch, out_ch, act=False),
            SEModule(out_ch),
        )
        self.shortcut = nn.Identity() if stride == 1 and in_ch == out_ch else conv_bn(in_ch, out_ch, 1, stride, act=False)
        self.act = nn.SiLU(inplace=True)

    def forward(self, x):
        return self.act(self.body(x) + self.shortcut(x))


class LeafNet(nn.Module):
    def __init__(self, depths, num_classes=NUM_CLASSES, drop=0.2):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, STEM_WIDTH, stride=2), conv_bn(STEM_WIDTH, STAGE_WIDTHS[0]))
        stages, in_ch = [], STAGE_WIDTHS[0]
        for width, depth in zip(STAGE_WIDTHS, depths):
            blocks = [ResidualSE(in_ch, width, stride=2)]
            blocks += [ResidualSE(width, width) for _ in range(depth - 1)]
            stages.append(nn.Sequential(*blocks))
            in_ch = width
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(drop),
                                  nn.Linear(STAGE_WIDTHS[-1], num_classes))

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


def build_model(variant="small", num_classes=NUM_CLASSES):
    return LeafNet(STAGE_DEPTHS[variant], num_classes=num_classes)
