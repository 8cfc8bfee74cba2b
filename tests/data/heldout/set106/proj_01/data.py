import os

import numpy as np
import torch
from torch.utils.data import Dataset

ACTIVITIES = ["Walking", "Jogging", "Upstairs", "Downstairs", "Sitting", "Standing"]


def sliding_windows(signal, labels, window, stride):
    xs, ys = [], []
    for start in range(0, len(signal) - window + 1, stride):
        seg = labels[start:start + window]
        values, counts = np.unique(seg, return_counts=True)
        xs.append(signal[start:start + window].T)  # (C, T)
        ys.append(values[counts.argmax()])
    return np.stack(xs).astype(np.float32), np.asarray(ys, dtype=np.int64)


class WISDMWindows(Dataset):
    def __init__(self, root, split, window, stride):
        raw = np.load(os.path.join(root, f"{split}.npz"))
        self.x, self.y = sliding_windows(raw["acc"], raw["activity"], window, stride)
        self.x = (self.x - self.x.mean(axis=(0, 2), keepdims=True)) / (self.x.std(axis=(0, 2), keepdims=True) + 1e-6)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, idx):
        return torch.from_numpy(self.x[idx]), int(self.y[idx])
