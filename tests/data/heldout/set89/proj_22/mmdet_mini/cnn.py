import torch.nn as nn


def build_norm_layer(cfg, num_features, postfix=''):
    """Build a norm layer from a config dict such as ``dict(type='BN', requires_grad=False)``."""
    cfg_ = cfg.copy()
    layer_type = cfg_.pop('type')
    requires_grad = cfg_.pop('requires_grad', True)
    if layer_type == 'BN':
        cfg_.setdefault('eps', 1e-5)
        layer = nn.BatchNorm2d(num_features, **cfg_)
        abbr = 'bn'
    elif layer_type == 'GN':
        layer = nn.GroupNorm(num_channels=num_features, **cfg_)
        abbr = 'gn'
    else:
        raise KeyError(f'Unrecognized norm type {layer_type}')
    for param in layer.parameters():
        param.requires_grad = requires_grad
    return abbr + str(postfix), layer


class ConvModule(nn.Module):
    """Conv -> (norm) -> (ReLU); ``bias='auto'`` means no conv bias when a norm follows."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias='auto',
                 norm_cfg=None, act_cfg=dict(type='ReLU'), inplace=True):
        super().__init__()
        self.with_norm = norm_cfg is not None
        self.with_activation = act_cfg is not None
        if bias == 'auto':
            bias = not self.with_norm
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=bias)
        if self.with_norm:
            self.norm_name, norm = build_norm_layer(norm_cfg, out_channels)
            self.add_module(self.norm_name, norm)
        if self.with_activation:
            self.activate = nn.ReLU(inplace=inplace)

    def forward(self, x):
        x = self.conv(x)
        if self.with_norm:
            x = getattr(self, self.norm_name)(x)
        if self.with_activation:
            x = self.activate(x)
        return x


def normal_init(module, mean=0.0, std=1.0, bias=0.0):
    nn.init.normal_(module.weight, mean, std)
    if getattr(module, 'bias', None) is not None:
        nn.init.constant_(module.bias, bias)


def bias_init_with_prob(prior_prob):
    import math
    return float(-math.log((1 - prior_prob) / prior_prob))


class Scale(nn.Module):
    """Learnable per-level scale for regression outputs."""

    def __init__(self, scale=1.0):
        super().__init__()
        import torch
        self.scale = nn.Parameter(torch.tensor(scale, dtype=torch.float))

    def forward(self, x):
        return x * self.scale
