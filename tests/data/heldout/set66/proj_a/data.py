"""Feature datasets for Speech Commands: precomputed log-mel arrays on disk."""
from __future__ import annotations

import csv
import os
import random

import numpy as np
import torch
from torch.utils.data import Dataset

from config import KEYWORDS, N_MELS, NUM_FRAMES


class KWSFeatureDataset(Dataset):
    def __init__(self, root: str, split: str, augment: bool = False):
        self.root = root
        self.augment = augment
        self.label_to_idx = {k: i for i, k in enumerate(KEYWORDS)}
        manifest = os.path.join(root, f"{split}.csv")
        with open(manifest, newline="") as fh:
            self.items = [(row["path"], row["label"]) for row in csv.DictReader(fh)]

    def __len__(self) -> int:
        return len(self.items)

    def _spec_augment(self, feats: np.ndarray) -> np.ndarray:
        feats = feats.copy()
        f = random.randint(0, 7)
        f0 = random.randint(0, N_MELS - f)
        feats[f0:f0 + f, :] = 0.0
        t = random.randint(0, 12)
        t0 = random.randint(0, NUM_FRAMES - t)
        feats[:, t0:t0 + t] = 0.0
        return feats

    def __getitem__(self, idx: int):
        rel_path, label = self.items[idx]
        feats = np.load(os.path.join(self.root, rel_path)).astype(np.float32)
        if feats.shape[1] < NUM_FRAMES:
            feats = np.pad(feats, ((0, 0), (0, NUM_FRAMES - feats.shape[1])))
        feats = feats[:, :NUM_FRAMES]
        if self.augment:
            feats = self._spec_augment(feats)
        target = self.label_to_idx.get(label, self.label_to_idx["_unknown_"])
        return torch.from_numpy(feats), target
