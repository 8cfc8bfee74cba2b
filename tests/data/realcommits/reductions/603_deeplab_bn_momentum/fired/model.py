import torch.nn as nn

try:
    from encoding.nn import SyncBatchNorm
    Norm = nn.BatchNorm2d
except ImportError:
    Norm = nn.BatchNorm2d


def conv_block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, bias=False), Norm(cout, momentum=0.999), nn.ReLU())
