"""Model zoo for the CIFAR experiments.

All constructors take ``num_classes`` as a keyword argument so that the
training script can build any of them from the ``--arch`` flag.
"""
from .resnet import resnet18, resnet34, resnet50, preact_resnet18
from .vgg import vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn
from .mobilenetv2 import mobilenetv2
from .wrn import wrn16_8, wrn28_10, wrn40_2

MODELS = {
    'resnet18': resnet18,
    'resnet34': resnet34,
    'resnet50': resnet50,
    'preact_resnet18': preact_resnet18,
    'vgg11_bn': vgg11_bn,
    'vgg13_bn': vgg13_bn,
    'vgg16_bn': vgg16_bn,
    'vgg19_bn': vgg19_bn,
    'mobilenetv2': mobilenetv2,
    'wrn16_8': wrn16_8,
    'wrn28_10': wrn28_10,
    'wrn40_2': wrn40_2,
}


def model_names():
    return sorted(MODELS.keys())


def build_model(arch, num_classes=10, **kwargs):
    if arch not in MODELS:
        raise KeyError('Unknown architecture {!r}; choose from {}'.format(arch, model_names()))
    return MODELS[arch](num_classes=num_classes, **kwargs)
