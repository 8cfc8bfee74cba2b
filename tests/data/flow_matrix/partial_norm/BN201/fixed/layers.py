import functools

import torch.nn as nn

norm_layer = functools.partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01)
