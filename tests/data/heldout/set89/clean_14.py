# Copyright (c) detlab. All rights reserved.
"""mmcv-style conv/norm/act building blocks and a CSP-PAFPN neck.

The norm layer is always described by a config dict, e.g.
``dict(type='BN', momentum=0.03, eps=0.001)`` (the YOLOX / RTMDet setting).
"""
import math

import torch
import torch.nn as nn

NORM_LAYERS = dict(BN=nn.BatchNorm2d, BN1d=nn.BatchNorm1d, GN=nn.GroupNorm, LN=nn.LayerNorm)
ACT_LAYERS = dict(ReLU=nn.ReLU, SiLU=nn.SiLU, LeakyReLU=nn.LeakyReLU, Swish=nn.SiLU)


def build_norm_layer(cfg, num_features, postfix=''):
    cfg_ = dict(cfg)
    layer_type = cfg_.pop('type')
    norm_layer = NORM_LAYERS[layer_type]
    requires_grad = cfg_.pop('requires_grad', True)
    if layer_type == 'GN':
        layer = norm_layer(num_channels=num_features, **cfg_)
    else:
        cfg_.setdefault('eps', 1e-5)
        layer = norm_layer(num_features, **cfg_)
    for param in layer.parameters():
        param.requires_grad = requires_grad
    abbr = 'gn' if layer_type == 'GN' else 'ln' if layer_type == 'LN' else 'bn'
    return abbr + str(postfix), layer


def build_activation_layer(cfg):
    cfg_ = dict(cfg)
    return ACT_LAYERS[cfg_.pop('type')](**cfg_)


class ConvModule(nn.Module):
    """Conv2d -> norm -> activation.

    ``bias='auto'`` resolves to ``False`` whenever a norm layer follows.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias='auto', norm_cfg=None, act_cfg=dict(type='ReLU')):
        super().__init__()
        self.with_norm = norm_cfg is not None
        self.with_activation = act_cfg is not None
        if bias == 'auto':
            bias = not self.with_norm
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                              dilation=dilation, groups=groups, bias=bias)
        if self.with_norm:
            self.norm_name, norm = build_norm_layer(norm_cfg, out_channels)
            self.add_module(self.norm_name, norm)
        if self.with_activation:
            self.activate = build_activation_layer(act_cfg)

    @property
    def norm(self):
        return getattr(self, self.norm_name)

    def forward(self, x):
        x = self.conv(x)
        if self.with_norm:
            x = self.norm(x)
        if self.with_activation:
            x = self.activate(x)
        return x


class DepthwiseSeparableConvModule(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, norm_cfg=None,
                 act_cfg=dict(type='ReLU')):
        super().__init__()
        self.depthwise_conv = ConvModule(in_channels, in_channels, kernel_size, stride=stride, padding=padding,
                                         groups=in_channels, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.pointwise_conv = ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x):
        return self.pointwise_conv(self.depthwise_conv(x))


def conv_bn_act(in_channels, out_channels, kernel_size=3, stride=1, momentum=0.03, eps=1e-3, act=nn.SiLU):
    """Light-weight helper used by the stem / heads where a ConvModule is overkill."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels, eps=eps, momentum=momentum),
        act(inplace=True),
    )


class CSPLayer(nn.Module):
    def __init__(self, in_channels, out_channels, expand_ratio=0.5, num_blocks=1, add_identity=True,
                 norm_cfg=dict(type='BN', momentum=0.03, eps=0.001), act_cfg=dict(type='Swish')):
        super().__init__()
        mid_channels = int(out_channels * expand_ratio)
        self.main_conv = ConvModule(in_channels, mid_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.short_conv = ConvModule(in_channels, mid_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.final_conv = ConvModule(2 * mid_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.blocks = nn.Sequential(*[
            nn.Sequential(
                ConvModule(mid_channels, mid_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg),
                ConvModule(mid_channels, mid_channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg),
            ) for _ in range(num_blocks)
        ])
        self.add_identity = add_identity

    def forward(self, x):
        x_short = self.short_conv(x)
        x_main = self.main_conv(x)
        for block in self.blocks:
            x_main = x_main + block(x_main) if self.add_identity else block(x_main)
        return self.final_conv(torch.cat((x_main, x_short), dim=1))


class CSPPAFPN(nn.Module):
    def __init__(self, in_channels=(256, 512, 1024), out_channels=256, num_csp_blocks=3, use_depthwise=False,
                 norm_cfg=dict(type='BN', momentum=0.03, eps=0.001), act_cfg=dict(type='Swish')):
        super().__init__()
        self.in_channels = in_channels
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule
        self.upsample = nn.Upsample(scale_factor=2, mode='nearest')

        self.reduce_layers = nn.ModuleList()
        self.top_down_blocks = nn.ModuleList()
        for idx in range(len(in_channels) - 1, 0, -1):
            self.reduce_layers.append(ConvModule(in_channels[idx], in_channels[idx - 1], 1,
                                                 norm_cfg=norm_cfg, act_cfg=act_cfg))
            self.top_down_blocks.append(CSPLayer(in_channels[idx - 1] * 2, in_channels[idx - 1],
                                                 num_blocks=num_csp_blocks, add_identity=False,
                                                 norm_cfg=norm_cfg, act_cfg=act_cfg))

        self.downsamples = nn.ModuleList()
        self.bottom_up_blocks = nn.ModuleList()
        for idx in range(len(in_channels) - 1):
            self.downsamples.append(conv(in_channels[idx], in_channels[idx], 3, stride=2, padding=1,
                                         norm_cfg=norm_cfg, act_cfg=act_cfg))
            self.bottom_up_blocks.append(CSPLayer(in_channels[idx] * 2, in_channels[idx + 1],
                                                  num_blocks=num_csp_blocks, add_identity=False,
                                                  norm_cfg=norm_cfg, act_cfg=act_cfg))

        self.out_convs = nn.ModuleList(
            ConvModule(in_channels[i], out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
            for i in range(len(in_channels)))
        # extra coarse level for large objects, built with the helper (slower EMA of stats, as in RTMDet-x)
        self.extra_level = conv_bn_act(out_channels, out_channels, 3, stride=2, momentum=0.01)

    def forward(self, inputs):
        assert len(inputs) == len(self.in_channels)
        inner_outs = [inputs[-1]]
        for idx in range(len(self.in_channels) - 1, 0, -1):
            feat_high = inner_outs[0]
            feat_low = inputs[idx - 1]
            feat_high = self.reduce_layers[len(self.in_channels) - 1 - idx](feat_high)
            inner_outs[0] = feat_high
            upsample_feat = self.upsample(feat_high)
            inner_out = self.top_down_blocks[len(self.in_channels) - 1 - idx](torch.cat([upsample_feat, feat_low], 1))
            inner_outs.insert(0, inner_out)

        outs = [inner_outs[0]]
        for idx in range(len(self.in_channels) - 1):
            feat_low = outs[-1]
            feat_high = inner_outs[idx + 1]
            downsample_feat = self.downsamples[idx](feat_low)
            out = self.bottom_up_blocks[idx](torch.cat([downsample_feat, feat_high], 1))
            outs.append(out)

        outs = [conv(o) for conv, o in zip(self.out_convs, outs)]
        outs.append(self.extra_level(outs[-1]))
        return tuple(outs)


def init_neck_weights(module):
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), mode='fan_in', nonlinearity='leaky_relu')
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
