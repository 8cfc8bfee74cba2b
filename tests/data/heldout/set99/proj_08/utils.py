import json
import logging
import os
import random

import numpy as np
import torch


class AverageMeter(object):
    def __init__(self):
        self.reset()

    def reset(self):
        self.sum, self.count, self.avg = 0.0, 0, 0.0

    def update(self, val, n=1):
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count


def relative_l2(pred, target):
    return (torch.linalg.norm(pred - target, dim=-1) / torch.linalg.norm(target, dim=-1)).mean()


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_logger(run_dir):
    os.makedirs(run_dir, exist_ok=True)
    logger = logging.getLogger('surrogate')
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    fmt = logging.Formatter('%(asctime)s %(message)s', '%Y-%m-%d %H:%M:%S')
    for handler in (logging.StreamHandler(), logging.FileHandler(os.path.join(run_dir, 'log.txt'))):
        handler.setFormatter(fmt)
        logger.addHandler(handler)
    return logger


def dump_json(obj, path):
    with open(path, 'w') as f:
        json.dump(obj, f, indent=2)


def save_checkpoint(path, model, optimizer, epoch, best_val, norm_stats):
    torch.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
                'epoch': epoch, 'best_val': best_val, 'norm_stats': norm_stats}, path)
