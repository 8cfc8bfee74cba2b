import torch.nn as nn

AFFINE = True


def configure_ops(config):
    global AFFINE
    AFFINE = config.affine


class MBConv(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.bn = nn.BatchNorm2d(C, AFFINE)
        self.out_bn = nn.BatchNorm2d(C, True)

    def forward(self, x):
        return self.out_bn(self.bn(x))
