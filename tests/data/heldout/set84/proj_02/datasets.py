"""Pascal VOC segmentation dataset reading an image-id list."""
import os
import random

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

import configs as C


class VOCSeg(Dataset):
    def __init__(self, root, list_file, train=True, crop_size=C.CROP_SIZE):
        self.root = root
        with open(list_file) as f:
            self.ids = [line.strip().split()[0] for line in f if line.strip()]
        self.train = train
        self.crop_size = crop_size
        self.mean = np.array(C.MEAN, dtype=np.float32)
        self.std = np.array(C.STD, dtype=np.float32)

    def __len__(self):
        return len(self.ids)

    def _load(self, idx):
        name = self.ids[idx]
        img = Image.open(os.path.join(self.root, "JPEGImages", name + ".jpg")).convert("RGB")
        mask = Image.open(os.path.join(self.root, "SegmentationClassAug", name + ".png"))
        return img, mask

    def _augment(self, img, mask):
        scale = random.uniform(0.5, 2.0)
        w, h = img.size
        nw, nh = int(w * scale), int(h * scale)
        img = img.resize((nw, nh), Image.BILINEAR)
        mask = mask.resize((nw, nh), Image.NEAREST)
        if random.random() < 0.5:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
            mask = mask.transpose(Image.FLIP_LEFT_RIGHT)
        img, mask = np.asarray(img, np.float32), np.asarray(mask, np.int64)
        cs = self.crop_size
        ph, pw = max(cs - nh, 0), max(cs - nw, 0)
        if ph or pw:
            img = np.pad(img, ((0, ph), (0, pw), (0, 0)), constant_values=0)
            mask = np.pad(mask, ((0, ph), (0, pw)), constant_values=C.IGNORE_INDEX)
        y = random.randint(0, img.shape[0] - cs)
        x = random.randint(0, img.shape[1] - cs)
        return img[y:y + cs, x:x + cs], mask[y:y + cs, x:x + cs]

    def __getitem__(self, idx):
        img, mask = self._load(idx)
        if self.train:
            img, mask = self._augment(img, mask)
        else:
            img, mask = np.asarray(img, np.float32), np.asarray(mask, np.int64)
        img = (img / 255.0 - self.mean) / self.std
        img = torch.from_numpy(img.transpose(2, 0, 1).copy())
        return img, torch.from_numpy(mask.copy())
