import torch.nn as nn


class ConvModule(nn.Module):
    """conv / norm / activation block; bias='auto' drops the conv bias when a norm follows."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias="auto", norm_cfg=None, act_cfg=dict(type="ReLU"), inplace=True,
                 order=("conv", "norm", "act")):
        super().__init__()
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.order = order
        self.with_norm = norm_cfg is not None
        self.with_activation = act_cfg is not None
        # if the conv layer is before a norm layer, bias is unnecessary.
        if bias == "auto":
            bias = not self.with_norm
        self.with_bias = bias
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                              dilation=dilation, groups=groups, bias=bias)
        if self.with_norm:
            norm_channels = out_channels if order.index("norm") > order.index("conv") else in_channels
            self.bn = nn.BatchNorm2d(norm_channels)
        if self.with_activation:
            self.activate = nn.ReLU(inplace=inplace)

    def forward(self, x, activate=True, norm=True):
        for layer in self.order:
            if layer == "conv":
                x = self.conv(x)
            elif layer == "norm" and norm and self.with_norm:
                x = self.bn(x)
            elif layer == "act" and activate and self.with_activation:
                x = self.activate(x)
        return x


norm_cfg = dict(type="BN", requires_grad=True)
stem = nn.Sequential(ConvModule(3, 32, 3, stride=2, padding=1, norm_cfg=norm_cfg),
                     ConvModule(32, 64, 3, padding=1, norm_cfg=norm_cfg))
