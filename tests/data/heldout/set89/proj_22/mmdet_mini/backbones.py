import logging

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from .builder import BACKBONES
from .cnn import build_norm_layer

logger = logging.getLogger(__name__)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, style='pytorch',
                 norm_cfg=dict(type='BN')):
        super().__init__()
        # caffe style puts the stride on the first 1x1 conv
        s1, s2 = (stride, 1) if style == 'caffe' else (1, stride)
        self.conv1 = nn.Conv2d(inplanes, planes, 1, stride=s1, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, planes)[1]
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=s2, padding=1, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, planes)[1]
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = build_norm_layer(norm_cfg, planes * self.expansion)[1]
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


@BACKBONES.register_module()
class ResNet(nn.Module):
    arch_settings = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}

    def __init__(self, depth, num_stages=4, out_indices=(0, 1, 2, 3), frozen_stages=-1, style='pytorch',
                 norm_cfg=dict(type='BN', requires_grad=True), norm_eval=True, init_cfg=None):
        super().__init__()
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.init_cfg = init_cfg
        blocks = self.arch_settings[depth][:num_stages]

        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, 64)[1]
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)

        inplanes = 64
        self.res_layers = []
        for i, n in enumerate(blocks):
            planes = 64 * 2 ** i
            stride = 1 if i == 0 else 2
            downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes * Bottleneck.expansion, 1, stride=stride, bias=False),
                build_norm_layer(norm_cfg, planes * Bottleneck.expansion)[1],
            )
            layers = [Bottleneck(inplanes, planes, stride, downsample, style, norm_cfg)]
            inplanes = planes * Bottleneck.expansion
            layers += [Bottleneck(inplanes, planes, 1, None, style, norm_cfg) for _ in range(1, n)]
            name = f'layer{i + 1}'
            self.add_module(name, nn.Sequential(*layers))
            self.res_layers.append(name)
        self._freeze_stages()

    def _freeze_stages(self):
        if self.frozen_stages >= 0:
            self.bn1.eval()
            for m in (self.conv1, self.bn1):
                for param in m.parameters():
                    param.requires_grad = False
        for i in range(1, self.frozen_stages + 1):
            m = getattr(self, f'layer{i}')
            m.eval()
            for param in m.parameters():
                param.requires_grad = False

    def init_weights(self):
        if self.init_cfg and self.init_cfg.get('type') == 'Pretrained':
            ckpt = self.init_cfg['checkpoint']
            if ckpt.startswith('open-mmlab://'):
                ckpt = ckpt.replace('open-mmlab://', 'checkpoints/') + '.pth'
            state = torch.load(ckpt, map_location='cpu')
            missing, unexpected = self.load_state_dict(state.get('state_dict', state), strict=False)
            logger.info('backbone loaded: %d missing, %d unexpected keys', len(missing), len(unexpected))

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode=True):
        """Convert the model into training mode while keeping normalization layers frozen."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
