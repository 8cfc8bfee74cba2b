import os
from os.path import splitext

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset


class CarvanaDataset(Dataset):
    def __init__(self, images_dir, mask_dir, scale=1.0, mask_suffix='_mask'):
        self.images_dir = images_dir
        self.mask_dir = mask_dir
        self.scale = scale
        self.mask_suffix = mask_suffix
        self.ids = [splitext(f)[0] for f in os.listdir(images_dir) if not f.startswith('.')]
        if not self.ids:
            raise RuntimeError(f'No input file found in {images_dir}')

    def __len__(self):
        return len(self.ids)

    @staticmethod
    def preprocess(pil_img, scale, is_mask):
        w, h = pil_img.size
        newW, newH = int(scale * w), int(scale * h)
        pil_img = pil_img.resize((newW, newH), resample=Image.NEAREST if is_mask else Image.BICUBIC)
        img = np.asarray(pil_img)
        if is_mask:
            return (img > 0).astype(np.int64)
        img = img.transpose((2, 0, 1)) if img.ndim == 3 else img[np.newaxis, ...]
        return img / 255.0

    def __getitem__(self, idx):
        name = self.ids[idx]
        mask = Image.open(os.path.join(self.mask_dir, name + self.mask_suffix + '.gif'))
        img = Image.open(os.path.join(self.images_dir, name + '.jpg'))
        img = self.preprocess(img, self.scale, is_mask=False)
        mask = self.preprocess(mask, self.scale, is_mask=True)
        return torch.as_tensor(img.copy()).float().contiguous(), torch.as_tensor(mask.copy()).long().contiguous()
