from functools import partial

import torch.nn as nn

Norm = partial(nn.BatchNorm1d, eps=1e-5, momentum=0.1)
