import logging
import os
import sys

import numpy as np
import torch
import torch.nn as nn


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


class SILogLoss(nn.Module):
    """Scale-invariant log loss (Eigen et al., 2014)."""

    def __init__(self, variance_focus=0.85):
        super().__init__()
        self.variance_focus = variance_focus

    def forward(self, pred, target, mask):
        d = torch.log(pred[mask]) - torch.log(target[mask])
        return torch.sqrt((d ** 2).mean() - self.variance_focus * d.mean() ** 2) * 10.0


def compute_depth_metrics(gt, pred):
    thresh = np.maximum(gt / pred, pred / gt)
    d1 = (thresh < 1.25).mean()
    d2 = (thresh < 1.25 ** 2).mean()
    d3 = (thresh < 1.25 ** 3).mean()
    abs_rel = np.mean(np.abs(gt - pred) / gt)
    sq_rel = np.mean(((gt - pred) ** 2) / gt)
    rmse = np.sqrt(((gt - pred) ** 2).mean())
    rmse_log = np.sqrt(((np.log(gt) - np.log(pred)) ** 2).mean())
    err = np.log(pred) - np.log(gt)
    silog = np.sqrt(np.mean(err ** 2) - np.mean(err) ** 2) * 100
    log10 = np.mean(np.abs(np.log10(pred) - np.log10(gt)))
    return dict(d1=d1, d2=d2, d3=d3, abs_rel=abs_rel, sq_rel=sq_rel, rmse=rmse,
                rmse_log=rmse_log, silog=silog, log10=log10)


def create_logger(log_dir):
    os.makedirs(log_dir, exist_ok=True)
    logger = logging.getLogger('depth')
    logger.setLevel(logging.INFO)
    formatter = logging.Formatter('%(asctime)s | %(message)s', '%H:%M:%S')
    for h in (logging.StreamHandler(sys.stdout),
              logging.FileHandler(os.path.join(log_dir, 'train.log'))):
        h.setFormatter(formatter)
        logger.addHandler(h)
    return logger


def save_checkpoint(path, model, optimizer, epoch, global_step, best):
    torch.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
                'epoch': epoch, 'global_step': global_step, 'best': best}, path)
