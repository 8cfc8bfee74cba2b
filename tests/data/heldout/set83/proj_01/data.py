import random

import h5py
import numpy as np
import torch
from torch.utils.data import Dataset


class LAHeart(Dataset):
    """Left atrium MR volumes stored as <case>/mri_norm2.h5 (image, label)."""

    def __init__(self, root, list_file, patch_size=None, train=True):
        with open(list_file) as f:
            self.cases = [l.strip() for l in f if l.strip()]
        self.root = root
        self.patch_size = patch_size
        self.train = train

    def __len__(self):
        return len(self.cases)

    def _random_crop(self, image, label):
        w, h, d = self.patch_size
        pads = [(max((s - image.shape[i]) // 2 + 3, 0),) * 2 for i, s in enumerate((w, h, d))]
        image = np.pad(image, pads, mode="constant")
        label = np.pad(label, pads, mode="constant")
        x = random.randint(0, image.shape[0] - w)
        y = random.randint(0, image.shape[1] - h)
        z = random.randint(0, image.shape[2] - d)
        return image[x:x + w, y:y + h, z:z + d], label[x:x + w, y:y + h, z:z + d]

    def __getitem__(self, idx):
        with h5py.File(f"{self.root}/{self.cases[idx]}/mri_norm2.h5", "r") as h5:
            image, label = h5["image"][:], h5["label"][:]
        if self.train:
            image, label = self._random_crop(image, label)
            if random.random() < 0.5:
                k = random.randint(0, 3)
                image, label = np.rot90(image, k), np.rot90(label, k)
                axis = random.randint(0, 1)
                image, label = np.flip(image, axis), np.flip(label, axis)
        image = torch.from_numpy(image.astype(np.float32).copy())[None]
        label = torch.from_numpy(label.astype(np.int64).copy())
        return image, label
