"""``build_depth_model(name, ...)`` resolves a class defined in this package by name."""
from . import depthnet
from .depthnet import BTSLite, DepthNet, UNetDepth

__all__ = ['DepthNet', 'UNetDepth', 'BTSLite', 'build_depth_model']


def build_depth_model(name, **kwargs):
    cls = getattr(depthnet, name, None)
    if cls is None:
        raise ValueError('unknown depth model "{}"'.format(name))
    return cls(**kwargs)
