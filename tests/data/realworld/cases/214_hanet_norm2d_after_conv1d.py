import torch
import torch.nn as nn
from config import cfg


def assert_and_infer_cfg(args):
    if hasattr(args, "syncbn") and args.syncbn:
        cfg.MODEL.BNFUNC = torch.nn.SyncBatchNorm
    else:
        cfg.MODEL.BNFUNC = torch.nn.BatchNorm2d
        print("Using regular batch norm")


def Norm2d(in_channels):
    """Custom norm function to allow flexible switching."""
    layer = getattr(cfg.MODEL, "BNFUNC")
    return layer(in_channels)


class HANet_Conv(nn.Module):
    def __init__(self, in_channel, out_channel, kernel_size=3, r_factor=64, layer=3, pooling="mean"):
        super().__init__()
        self.pooling = pooling
        self.pooling_size = 128
        mid_1_channel = in_channel * 2 // r_factor
        self.attention_first = nn.Sequential(
            nn.Conv1d(in_channels=in_channel, out_channels=mid_1_channel, kernel_size=1, stride=1, padding=0,
                      bias=False),
            Norm2d(mid_1_channel),
            nn.ReLU(inplace=True))
        self.attention_second = nn.Conv1d(in_channels=mid_1_channel, out_channels=out_channel,
                                          kernel_size=kernel_size, stride=1, padding=kernel_size // 2, bias=True)
        self.rowpool = nn.AdaptiveAvgPool2d((self.pooling_size, 1))

    def forward(self, x, out):
        H = out.size(2)
        x1d = self.rowpool(x).squeeze(3)  # (N, C, L)
        x1d = self.attention_first(x1d)
        x1d = self.attention_second(x1d)
        attention = torch.sigmoid(nn.functional.interpolate(x1d, size=H, mode="linear"))
        return out * attention.unsqueeze(3)
