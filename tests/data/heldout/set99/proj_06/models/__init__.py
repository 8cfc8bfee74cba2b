from . import resnet
from .simsiam import SimSiam


def build_backbone(arch, **kwargs):
    """Look the backbone constructor up by name, e.g. ``resnet18_cifar``."""
    if not hasattr(resnet, arch) or arch.startswith('_'):
        raise ValueError('unknown backbone {}'.format(arch))
    return getattr(resnet, arch)(**kwargs)


def backbone_names():
    return [n for n in dir(resnet) if n.startswith('resnet') and callable(getattr(resnet, n))]
