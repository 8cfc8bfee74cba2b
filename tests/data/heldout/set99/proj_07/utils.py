import logging
import os

import numpy as np
import torch
import torch.nn.functional as F


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


def accuracy(output, target):
    return output.argmax(1).eq(target).float().mean().item() * 100.0


def sigmoid_rampup(current, rampup_length):
    """Exponential rampup from https://arxiv.org/abs/1610.02242"""
    if rampup_length == 0:
        return 1.0
    current = np.clip(current, 0.0, rampup_length)
    phase = 1.0 - current / rampup_length
    return float(np.exp(-5.0 * phase * phase))


def softmax_mse_loss(input_logits, target_logits):
    num_classes = input_logits.size(1)
    return F.mse_loss(F.softmax(input_logits, dim=1), F.softmax(target_logits, dim=1),
                      reduction='sum') / num_classes


@torch.no_grad()
def update_ema_variables(model, ema_model, alpha, global_step):
    # use the true average until the exponential average is more correct
    alpha = min(1 - 1 / (global_step + 1), alpha)
    for ema_param, param in zip(ema_model.parameters(), model.parameters()):
        ema_param.mul_(alpha).add_(param, alpha=1 - alpha)
    for ema_buf, buf in zip(ema_model.buffers(), model.buffers()):
        ema_buf.copy_(buf)


def get_logger(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    logger = logging.getLogger('kws')
    logger.setLevel(logging.INFO)
    fmt = logging.Formatter('%(asctime)s %(levelname)s %(message)s')
    for h in (logging.StreamHandler(), logging.FileHandler(os.path.join(out_dir, 'log.txt'))):
        h.setFormatter(fmt)
        logger.addHandler(h)
    return logger


def save_checkpoint(path, **state):
    torch.save(state, path)
