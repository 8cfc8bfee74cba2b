"""Dilated residual encoder with output stride 8."""
import torch
import torch.nn as nn


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1, dilation=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=dilation,
                               dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_ch),
            )

    def forward(self, x):
        idt = x if self.shortcut is None else self.shortcut(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + idt)


class SegEncoder(nn.Module):
    """4 stages; the last two use dilation instead of stride (OS = 8)."""

    def __init__(self, widths=(32, 64, 128, 256), in_ch=3):
        super().__init__()
        c0, c1, c2, c3 = widths
        self.stem = nn.Sequential(
            nn.Conv2d(in_ch, c0, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(c0),
            nn.ReLU(inplace=True),
            nn.Conv2d(c0, c0, 3, padding=1, bias=False),
            nn.BatchNorm2d(c0),
            nn.ReLU(inplace=True),
        )
        self.stage1 = nn.Sequential(ResBlock(c0, c1, stride=2), ResBlock(c1, c1))
        self.stage2 = nn.Sequential(ResBlock(c1, c2, stride=2), ResBlock(c2, c2))
        self.stage3 = nn.Sequential(ResBlock(c2, c3, dilation=2), ResBlock(c3, c3, dilation=2))
        self.stage4 = nn.Sequential(ResBlock(c3, c3, dilation=4), ResBlock(c3, c3, dilation=4))
        self.out_channels = c3

    def forward(self, x):
        x = self.stem(x)
        x = self.stage1(x)
        x = self.stage2(x)
        x = self.stage3(x)
        return self.stage4(x)

    def load_pretrained(self, path):
        state = torch.load(path, map_location="cpu")
        state = {k.replace("encoder.", ""): v for k, v in state.items() if k.startswith("encoder.")}
        missing, unexpected = self.load_state_dict(state, strict=False)
        return missing, unexpected
