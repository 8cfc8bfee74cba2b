import logging
import os
import random

import numpy as np
import torch


class AverageMeter(object):
    def __init__(self):
        self.reset()

    def reset(self):
        self.val, self.avg, self.sum, self.count = 0.0, 0.0, 0.0, 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / max(self.count, 1)


def accuracy(logits, labels):
    preds = logits.argmax(dim=1)
    return (preds == labels).float().mean().item() * 100.0


def macro_f1(preds, labels, num_classes):
    f1s = []
    for c in range(num_classes):
        tp = ((preds == c) & (labels == c)).sum().item()
        fp = ((preds == c) & (labels != c)).sum().item()
        fn = ((preds != c) & (labels == c)).sum().item()
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    return 100.0 * sum(f1s) / len(f1s)


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    os.environ['PYTHONHASHSEED'] = str(seed)


def get_logger(log_file=None):
    logger = logging.getLogger('textclf')
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        fmt = logging.Formatter('%(asctime)s - %(levelname)s - %(message)s')
        sh = logging.StreamHandler()
        sh.setFormatter(fmt)
        logger.addHandler(sh)
        if log_file:
            fh = logging.FileHandler(log_file)
            fh.setFormatter(fmt)
            logger.addHandler(fh)
    return logger


class EarlyStopping(object):
    def __init__(self, patience=5, mode='max'):
        self.patience = patience
        self.mode = mode
        self.best = None
        self.num_bad = 0

    def step(self, metric):
        improved = self.best is None or (metric > self.best if self.mode == 'max' else metric < self.best)
        if improved:
            self.best = metric
            self.num_bad = 0
        else:
            self.num_bad += 1
        return improved, self.num_bad >= self.patience


def save_checkpoint(path, model, optimizer, epoch, best_metric, vocab, label2id, args):
    torch.save({
        'model': model.state_dict(),
        'optimizer': optimizer.state_dict(),
        'epoch': epoch,
        'best_metric': best_metric,
        'vocab': vocab.itos,
        'label2id': label2id,
        'args': vars(args),
    }, path)
