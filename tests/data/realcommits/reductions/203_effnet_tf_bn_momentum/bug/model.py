import torch.nn as nn
from settings import defaults


class Block(nn.Module):
    def __init__(self, settings):
        super().__init__()
        self.momentum = settings.momentum
        self.norm = nn.BatchNorm2d(8, momentum=self.momentum, eps=1e-3)


block = Block(defaults())
