"""Cityscapes / Pascal VOC loaders with joint image-mask augmentation."""
import os
import random

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)
STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)

CITYSCAPES_ID_TO_TRAINID = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9,
                            23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}


class JointTransform(object):
    def __init__(self, crop_size=(512, 1024), scale_range=(0.5, 2.0), ignore_index=255,
                 train=True):
        self.crop_h, self.crop_w = crop_size
        self.scale_range = scale_range
        self.ignore_index = ignore_index
        self.train = train

    def __call__(self, img, mask):
        if self.train:
            s = random.uniform(*self.scale_range)
            w, h = img.size
            nw, nh = int(w * s + 0.5), int(h * s + 0.5)
            img = img.resize((nw, nh), Image.BILINEAR)
            mask = mask.resize((nw, nh), Image.NEAREST)
            img, mask = np.asarray(img, np.float32), np.asarray(mask, np.int64)
            pad_h, pad_w = max(self.crop_h - nh, 0), max(self.crop_w - nw, 0)
            if pad_h or pad_w:
                img = np.pad(img, ((0, pad_h), (0, pad_w), (0, 0)), constant_values=0)
                mask = np.pad(mask, ((0, pad_h), (0, pad_w)), constant_values=self.ignore_index)
            h, w = mask.shape
            y = random.randint(0, h - self.crop_h)
            x = random.randint(0, w - self.crop_w)
            img = img[y:y + self.crop_h, x:x + self.crop_w]
            mask = mask[y:y + self.crop_h, x:x + self.crop_w]
            if random.random() < 0.5:
                img, mask = img[:, ::-1], mask[:, ::-1]
        else:
            img, mask = np.asarray(img, np.float32), np.asarray(mask, np.int64)
        img = (img - MEAN) / STD
        img = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        mask = torch.from_numpy(np.ascontiguousarray(mask))
        return img, mask


class Cityscapes(Dataset):
    num_classes = 19

    def __init__(self, root, split='train', transform=None):
        self.transform = transform
        img_dir = os.path.join(root, 'leftImg8bit', split)
        self.items = []
        for city in sorted(os.listdir(img_dir)):
            for fn in sorted(os.listdir(os.path.join(img_dir, city))):
                img = os.path.join(img_dir, city, fn)
                lbl = img.replace('leftImg8bit', 'gtFine', 1).replace(
                    '_leftImg8bit.png', '_gtFine_labelIds.png')
                self.items.append((img, lbl))
        self._lut = np.full(256, 255, dtype=np.uint8)
        for k, v in CITYSCAPES_ID_TO_TRAINID.items():
            self._lut[k] = v

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        img_path, lbl_path = self.items[idx]
        img = Image.open(img_path).convert('RGB')
        mask = Image.fromarray(self._lut[np.asarray(Image.open(lbl_path))])
        if self.transform is not None:
            img, mask = self.transform(img, mask)
        return img, mask


class VOCAug(Dataset):
    num_classes = 21

    def __init__(self, root, split='train_aug', transform=None):
        self.root = root
        self.transform = transform
        with open(os.path.join(root, 'ImageSets', 'Segmentation', split + '.txt')) as f:
            self.ids = [line.strip() for line in f if line.strip()]

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, idx):
        name = self.ids[idx]
        img = Image.open(os.path.join(self.root, 'JPEGImages', name + '.jpg')).convert('RGB')
        mask = Image.open(os.path.join(self.root, 'SegmentationClassAug', name + '.png'))
        if self.transform is not None:
            img, mask = self.transform(img, mask)
        return img, mask


DATASETS = {'cityscapes': Cityscapes, 'voc': VOCAug}


def build_dataset(name, root, split, crop_size, train):
    cls = DATASETS[name]
    return cls(root, split, transform=JointTransform(crop_size=crop_size, train=train))
