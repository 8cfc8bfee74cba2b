from .retinanet import RetinaNet

__all__ = ['RetinaNet']
