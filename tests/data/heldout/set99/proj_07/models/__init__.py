from .crnn import CRNN
from .kwt import KWTBN
from .res15 import Res8, Res15
from .tcresnet import TCResNet8, TCResNet14

ARCHS = {
    'res8': Res8,
    'res15': Res15,
    'tc-resnet8': TCResNet8,
    'tc-resnet14': TCResNet14,
    'crnn': CRNN,
    'kwt-bn': KWTBN,
}


def create(arch, num_classes=35, **kwargs):
    return ARCHS[arch](num_classes=num_classes, **kwargs)
