import json
import os.path as osp

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from .registry import DATASETS, build_from_cfg


@DATASETS.register_module()
class CocoDataset(Dataset):
    """COCO detection dataset; targets are assigned offline (see tools/assign_anchors.py)."""

    def __init__(self, ann_file, img_prefix, img_scale=(1333, 800), flip_ratio=0.0, img_norm_cfg=None,
                 target_dir=None):
        with open(ann_file) as f:
            coco = json.load(f)
        self.img_infos = [img for img in coco['images'] if min(img['width'], img['height']) >= 32]
        self.img_prefix = img_prefix
        self.img_scale = img_scale
        self.flip_ratio = flip_ratio
        self.mean = np.array(img_norm_cfg['mean'], dtype=np.float32)
        self.std = np.array(img_norm_cfg['std'], dtype=np.float32)
        self.to_rgb = img_norm_cfg.get('to_rgb', True)
        self.target_dir = target_dir or osp.splitext(ann_file)[0] + '_targets'

    def __len__(self):
        return len(self.img_infos)

    def _load_image(self, info):
        img = cv2.imread(osp.join(self.img_prefix, info['file_name']))
        if self.to_rgb:
            img = img[:, :, ::-1]
        long_edge, short_edge = max(self.img_scale), min(self.img_scale)
        h, w = img.shape[:2]
        scale = min(long_edge / max(h, w), short_edge / min(h, w))
        img = cv2.resize(img, (int(w * scale + 0.5), int(h * scale + 0.5)))
        img = (img.astype(np.float32) - self.mean) / self.std
        return img, scale

    def __getitem__(self, idx):
        info = self.img_infos[idx]
        img, scale = self._load_image(info)
        flip = np.random.rand() < self.flip_ratio
        if flip:
            img = img[:, ::-1]
        img = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        meta = dict(id=info['id'], scale=scale, flip=flip, shape=tuple(img.shape[1:]))
        tgt = torch.load(osp.join(self.target_dir, f"{info['id']}{'_f' if flip else ''}.pt"))
        return img, meta, tgt


def collate(batch, size_divisor=32):
    imgs, metas, tgts = zip(*batch)
    max_h = int(np.ceil(max(i.shape[1] for i in imgs) / size_divisor) * size_divisor)
    max_w = int(np.ceil(max(i.shape[2] for i in imgs) / size_divisor) * size_divisor)
    padded = imgs[0].new_zeros(len(imgs), 3, max_h, max_w)
    for i, img in enumerate(imgs):
        padded[i, :, :img.shape[1], :img.shape[2]] = img
    cls_targets = [torch.stack([t['cls'][lvl] for t in tgts]) for lvl in range(len(tgts[0]['cls']))]
    bbox_targets = [torch.stack([t['bbox'][lvl] for t in tgts]) for lvl in range(len(tgts[0]['bbox']))]
    num_pos = sum(int(t['num_pos']) for t in tgts)
    return dict(img=padded, img_metas=list(metas), cls_targets=cls_targets, bbox_targets=bbox_targets,
                num_pos=num_pos)


def build_dataset(cfg):
    return build_from_cfg(cfg, DATASETS)
