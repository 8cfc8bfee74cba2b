"""Helpers: conv-BN factories, distributed setup, metrics."""
import os

import torch
import torch.distributed as dist
import torch.nn as nn


def _make_divisible(v, divisor=8, min_value=None):
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def conv_bn(inp, oup, stride=1, kernel_size=3, groups=1, act=True):
    layers = [
        nn.Conv2d(inp, oup, kernel_size, stride, (kernel_size - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(oup),
    ]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


def conv_1x1_bn(inp, oup, act=True):
    return conv_bn(inp, oup, stride=1, kernel_size=1, act=act)


def setup_distributed(backend="nccl"):
    rank = int(os.environ["RANK"])
    world_size = int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    dist.init_process_group(backend=backend, rank=rank, world_size=world_size)
    return rank, world_size, local_rank


def is_main_process():
    return not dist.is_initialized() or dist.get_rank() == 0


def reduce_tensor(t):
    t = t.clone()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def accuracy(output, target, topk=(1,)):
    maxk = max(topk)
    _, pred = output.topk(maxk, 1, True, True)
    pred = pred.t()
    correct = pred.eq(target.view(1, -1).expand_as(pred))
    return [correct[:k].reshape(-1).float().sum(0) for k in topk]


def build_optimizer(model, lr, momentum, weight_decay):
    bn_params = [p for n, p in model.named_parameters() if p.ndim == 1]
    other = [p for n, p in model.named_parameters() if p.ndim > 1]
    return torch.optim.SGD(
        [{"params": other, "weight_decay": weight_decay},
         {"params": bn_params, "weight_decay": 0.0}],
        lr=lr, momentum=momentum, nesterov=True,
    )
