import functools
import torch.nn as nn


def get_norm_layer(norm_type='instance'):
    if norm_type == 'instance':
        norm_layer = functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
    elif norm_type == 'none':
        def norm_layer(x):
            return nn.Identity()
    else:
        raise NotImplementedError(norm_type)
    return norm_layer


def define_G(ngf, norm):
    norm_layer = get_norm_layer(norm_type=norm)
    return UnetGenerator(ngf, norm_layer=norm_layer)


class UnetGenerator(nn.Module):
    def __init__(self, ngf=64, norm_layer=nn.BatchNorm2d):
        super().__init__()
        self.model = nn.Sequential(nn.Conv2d(3, ngf, 3, bias=False), norm_layer(ngf))

    def forward(self, input):
        return self.model(input)
