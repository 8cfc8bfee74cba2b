import os
import random

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset


class TN3K(Dataset):
    """Thyroid nodule ultrasound: <root>/<split>-image/*.jpg and <root>/<split>-mask/*.jpg"""

    def __init__(self, root, split, size, train):
        self.img_dir = os.path.join(root, f"{split}-image")
        self.msk_dir = os.path.join(root, f"{split}-mask")
        self.names = sorted(os.listdir(self.img_dir))
        self.size, self.train = size, train

    def __len__(self):
        return len(self.names)

    def __getitem__(self, i):
        n = self.names[i]
        img = cv2.imread(os.path.join(self.img_dir, n), cv2.IMREAD_GRAYSCALE)
        msk = cv2.imread(os.path.join(self.msk_dir, n), cv2.IMREAD_GRAYSCALE)
        img = cv2.resize(img, (self.size, self.size)).astype(np.float32) / 255.0
        msk = (cv2.resize(msk, (self.size, self.size), interpolation=cv2.INTER_NEAREST) > 127).astype(np.float32)
        if self.train:
            if random.random() < 0.5:
                img, msk = img[:, ::-1], msk[:, ::-1]
            img = np.clip(img * random.uniform(0.8, 1.2), 0, 1)
        img = (img - 0.5) / 0.5
        return torch.from_numpy(img.copy())[None], torch.from_numpy(msk.copy())[None]
