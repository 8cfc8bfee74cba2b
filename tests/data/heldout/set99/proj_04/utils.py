import logging
import os
import time

import numpy as np
import torch
import torch.distributed as dist


class AverageMeter(object):
    def __init__(self):
        self.reset()

    def reset(self):
        self.val = self.avg = self.sum = 0.0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count


class ConfusionMatrix(object):
    def __init__(self, num_classes, ignore_index=255):
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.mat = None

    def update(self, pred, target):
        n = self.num_classes
        if self.mat is None:
            self.mat = torch.zeros((n, n), dtype=torch.int64, device=pred.device)
        k = (target >= 0) & (target < n)
        inds = n * target[k].to(torch.int64) + pred[k]
        self.mat += torch.bincount(inds, minlength=n ** 2).reshape(n, n)

    def reduce_from_all_processes(self):
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(self.mat)

    def compute(self):
        h = self.mat.float()
        acc_global = torch.diag(h).sum() / h.sum()
        iou = torch.diag(h) / (h.sum(1) + h.sum(0) - torch.diag(h))
        return acc_global.item() * 100, (iou * 100).tolist(), iou.nanmean().item() * 100


def poly_lr(optimizer, base_lr, cur_iter, max_iter, power=0.9, min_lr=1e-4):
    lr = (base_lr - min_lr) * (1 - cur_iter / max_iter) ** power + min_lr
    for i, group in enumerate(optimizer.param_groups):
        group['lr'] = lr * group.get('lr_mult', 1.0)
    return lr


def get_logger(work_dir, rank=0):
    logger = logging.getLogger('seg')
    logger.setLevel(logging.INFO if rank == 0 else logging.ERROR)
    if not logger.handlers:
        fmt = logging.Formatter('%(asctime)s - %(message)s')
        sh = logging.StreamHandler()
        sh.setFormatter(fmt)
        logger.addHandler(sh)
        if rank == 0 and work_dir:
            os.makedirs(work_dir, exist_ok=True)
            fh = logging.FileHandler(os.path.join(work_dir, time.strftime('%Y%m%d_%H%M%S.log')))
            fh.setFormatter(fmt)
            logger.addHandler(fh)
    return logger


def save_checkpoint(state, work_dir, name):
    torch.save(state, os.path.join(work_dir, name))
