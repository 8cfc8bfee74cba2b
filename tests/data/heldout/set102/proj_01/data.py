import os

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
IGNORE_INDEX = 255


def to_tensor(img):
    arr = (np.asarray(img, dtype=np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(arr.transpose(2, 0, 1).copy())


class SegFolder(Dataset):
    """root/{split}/images/*.jpg and root/{split}/masks/*.png"""

    def __init__(self, root, split="train", size=256):
        self.img_dir = os.path.join(root, split, "images")
        self.mask_dir = os.path.join(root, split, "masks")
        self.names = sorted(os.path.splitext(f)[0] for f in os.listdir(self.img_dir))
        self.size = size
        self.train = split == "train"

    def __len__(self):
        return len(self.names)

    def __getitem__(self, i):
        name = self.names[i]
        img = Image.open(os.path.join(self.img_dir, name + ".jpg")).convert("RGB").resize((self.size, self.size), Image.BILINEAR)
        mask = Image.open(os.path.join(self.mask_dir, name + ".png")).resize((self.size, self.size), Image.NEAREST)
        if self.train and np.random.rand() < 0.5:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
            mask = mask.transpose(Image.FLIP_LEFT_RIGHT)
        return to_tensor(img), torch.from_numpy(np.array(mask, dtype=np.int64))
