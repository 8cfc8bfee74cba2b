from .vgg import VGG, vgg11_bn, vgg16_bn

__all__ = ["VGG", "vgg11_bn", "vgg16_bn"]
