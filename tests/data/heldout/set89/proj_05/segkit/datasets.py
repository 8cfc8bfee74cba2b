"""Synthetic shapes segmentation dataset.

Mimics the VOC2012 trainval split size so that schedules tuned on VOC can be
smoke-tested without downloading anything.
"""
import math
import random

import numpy as np
import torch
from torch.utils.data import Dataset

VOC_TRAINVAL_SIZE = 2913
VOC_VAL_SIZE = 1449
NUM_CLASSES = 21


class SyntheticShapes(Dataset):
    def __init__(self, num_samples=VOC_TRAINVAL_SIZE, size=256, num_classes=NUM_CLASSES, seed=0, augment=True):
        self.num_samples = num_samples
        self.size = size
        self.num_classes = num_classes
        self.seed = seed
        self.augment = augment

    def __len__(self):
        return self.num_samples

    def _draw(self, rng, img, mask):
        cls = rng.randint(1, self.num_classes - 1)
        cx, cy = rng.randint(0, self.size - 1), rng.randint(0, self.size - 1)
        r = rng.randint(8, self.size // 4)
        yy, xx = np.ogrid[: self.size, : self.size]
        if rng.random() < 0.5:
            region = (xx - cx) ** 2 + (yy - cy) ** 2 <= r ** 2
        else:
            region = (abs(xx - cx) <= r) & (abs(yy - cy) <= r)
        color = np.array([rng.random() for _ in range(3)], dtype=np.float32)
        img[region] = color
        mask[region] = cls

    def __getitem__(self, idx):
        rng = random.Random(self.seed * 100003 + idx)
        img = np.full((self.size, self.size, 3), 0.5, dtype=np.float32)
        img += np.random.RandomState(idx).normal(0, 0.05, img.shape).astype(np.float32)
        mask = np.zeros((self.size, self.size), dtype=np.int64)
        for _ in range(rng.randint(1, 4)):
            self._draw(rng, img, mask)
        if self.augment and rng.random() < 0.5:
            img, mask = img[:, ::-1], mask[:, ::-1]
        img = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)
        mask = torch.from_numpy(np.ascontiguousarray(mask))
        present = torch.zeros(self.num_classes)
        present[mask.unique()] = 1.0
        return img, mask, present


def num_batches(n, bs, drop_last=False):
    return n // bs if drop_last else math.ceil(n / bs)
