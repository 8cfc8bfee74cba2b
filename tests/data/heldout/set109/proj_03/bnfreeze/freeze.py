import torch.nn as nn


def freeze_bn(module: nn.Module) -> int:
    """Put every BatchNorm in eval mode and stop its affine params from training.

    Must be called *after* module.train(), since train() switches BN back.
    """
    n = 0
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()
            if m.affine:
                m.weight.requires_grad = False
                m.bias.requires_grad = False
            n += 1
    return n
