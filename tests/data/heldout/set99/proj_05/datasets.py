"""NYU Depth v2 and KITTI (Eigen split) loaders."""
import os
import random

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset
import torchvision.transforms.functional as TF


class DepthDataset(Dataset):
    """Reads ``<rgb path> <depth path> <focal>`` lines from a split file."""

    def __init__(self, data_root, split_file, mode='train', height=416, width=544,
                 depth_scale=1000.0, max_depth=10.0, do_kb_crop=False):
        self.data_root = data_root
        with open(split_file) as f:
            self.samples = [line.split() for line in f if line.strip()]
        self.mode = mode
        self.height, self.width = height, width
        self.depth_scale = depth_scale
        self.max_depth = max_depth
        self.do_kb_crop = do_kb_crop

    def __len__(self):
        return len(self.samples)

    def _load(self, idx):
        rgb_rel, depth_rel = self.samples[idx][:2]
        img = Image.open(os.path.join(self.data_root, rgb_rel)).convert('RGB')
        depth = Image.open(os.path.join(self.data_root, depth_rel))
        if self.do_kb_crop:
            h, w = img.height, img.width
            top, left = int(h - 352), int((w - 1216) / 2)
            img = img.crop((left, top, left + 1216, top + 352))
            depth = depth.crop((left, top, left + 1216, top + 352))
        return img, depth

    def __getitem__(self, idx):
        img, depth = self._load(idx)
        if self.mode == 'train':
            angle = random.uniform(-2.5, 2.5)
            img = TF.rotate(img, angle, interpolation=TF.InterpolationMode.BILINEAR)
            depth = TF.rotate(depth, angle, interpolation=TF.InterpolationMode.NEAREST)
            i = random.randint(0, img.height - self.height)
            j = random.randint(0, img.width - self.width)
            img = TF.crop(img, i, j, self.height, self.width)
            depth = TF.crop(depth, i, j, self.height, self.width)
            if random.random() < 0.5:
                img, depth = TF.hflip(img), TF.hflip(depth)
            img = TF.adjust_brightness(img, random.uniform(0.9, 1.1))
            img = TF.adjust_gamma(img, random.uniform(0.9, 1.1))
        img = TF.normalize(TF.to_tensor(img), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        depth = torch.from_numpy(np.asarray(depth, dtype=np.float32) / self.depth_scale)[None]
        return {'image': img, 'depth': depth.clamp(max=self.max_depth)}


DATASET_CFG = {
    'nyu': dict(depth_scale=1000.0, max_depth=10.0, height=416, width=544, do_kb_crop=False),
    'kitti': dict(depth_scale=256.0, max_depth=80.0, height=352, width=704, do_kb_crop=True),
}


def build_dataset(name, data_root, split_file, mode):
    return DepthDataset(data_root, split_file, mode=mode, **DATASET_CFG[name])
