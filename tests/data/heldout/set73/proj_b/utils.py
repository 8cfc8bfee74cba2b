"""Small shared helpers: mode switching, meters, checkpoints, seeding."""
import contextlib
import os
import random
from pathlib import Path

import numpy as np
import torch


@contextlib.contextmanager
def eval_mode(*models):
    """Put every given model in eval mode for the block, then restore."""
    previous = [m.training for m in models]
    for m in models:
        m.eval()
    try:
        yield
    finally:
        for m, mode in zip(models, previous):
            m.train(mode)


class AverageMeter:
    def __init__(self, name):
        self.name = name
        self.reset()

    def reset(self):
        self.sum = 0.0
        self.count = 0

    def update(self, value, n=1):
        self.sum += float(value) * n
        self.count += n

    @property
    def avg(self):
        return self.sum / max(self.count, 1)

    def __str__(self):
        return f"{self.name} {self.avg:.4f}"


def topk_correct(logits, target, ks=(1, 5)):
    maxk = max(ks)
    pred = logits.topk(maxk, dim=1).indices
    hit = pred.eq(target[:, None])
    return [hit[:, :k].any(dim=1).sum().item() for k in ks]


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


def save_checkpoint(path, **objects):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: (v.state_dict() if hasattr(v, "state_dict") else v) for k, v in objects.items()}
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
