"""Segmentation model factory: ``build_segmentor('deeplabv3', backbone='resnet50', ...)``."""
import sys

from .backbone import ResNetBackbone
from .deeplabv3 import DeepLabV3, DeepLabV3Plus
from .fcn import FCN
from .pspnet import PSPNet

_SEGMENTORS = ('FCN', 'PSPNet', 'DeepLabV3', 'DeepLabV3Plus')
_ALIASES = {'fcn': 'FCN', 'pspnet': 'PSPNet', 'deeplabv3': 'DeepLabV3',
            'deeplabv3plus': 'DeepLabV3Plus'}


def available():
    return sorted(_ALIASES)


def build_segmentor(name, num_classes, backbone='resnet50', output_stride=8, pretrained=None,
                    frozen_stages=-1, norm_eval=False, aux_loss=True):
    cls_name = _ALIASES.get(name.lower())
    if cls_name is None:
        raise KeyError('unknown segmentor {}'.format(name))
    depth = int(backbone.replace('resnet', ''))
    encoder = ResNetBackbone(depth=depth, output_stride=output_stride, pretrained=pretrained,
                             frozen_stages=frozen_stages, norm_eval=norm_eval)
    cls = getattr(sys.modules[__name__], cls_name)
    return cls(encoder, num_classes=num_classes, aux_loss=aux_loss)
