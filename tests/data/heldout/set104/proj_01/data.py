import os
import random
from glob import glob

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class Cityscapes(Dataset):
    def __init__(self, root, split, crop_size=None):
        self.images = sorted(glob(os.path.join(root, "leftImg8bit", split, "*", "*_leftImg8bit.png")))
        self.labels = [p.replace("leftImg8bit", "gtFine").replace(".png", "_labelTrainIds.png") for p in self.images]
        self.crop_size = crop_size

    def __len__(self):
        return len(self.images)

    def __getitem__(self, idx):
        img = np.asarray(Image.open(self.images[idx]).convert("RGB"), dtype=np.float32) / 255.0
        lbl = np.asarray(Image.open(self.labels[idx]), dtype=np.int64)
        if self.crop_size is not None:
            ch, cw = self.crop_size
            y = random.randint(0, img.shape[0] - ch)
            x = random.randint(0, img.shape[1] - cw)
            img, lbl = img[y:y + ch, x:x + cw], lbl[y:y + ch, x:x + cw]
            if random.random() < 0.5:
                img, lbl = img[:, ::-1], lbl[:, ::-1]
        img = (img - MEAN) / STD
        return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))), torch.from_numpy(np.ascontiguousarray(lbl))
