from .base import BaseNode
from .resnet import ResNet
