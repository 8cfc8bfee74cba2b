"""COCO person keypoints, top-down crops with Gaussian target heatmaps."""
import json
import os

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

import configs as C


def gaussian_heatmaps(joints, vis, out_hw=C.HEATMAP_SIZE, in_hw=C.INPUT_SIZE, sigma=C.SIGMA):
    h, w = out_hw
    stride = in_hw[0] / h
    ys, xs = np.mgrid[0:h, 0:w]
    hm = np.zeros((len(joints), h, w), dtype=np.float32)
    for j, (x, y) in enumerate(joints):
        if vis[j] == 0:
            continue
        cx, cy = x / stride, y / stride
        hm[j] = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma ** 2))
    return hm


class COCOKeypoints(Dataset):
    def __init__(self, root, ann_file, train=True):
        with open(os.path.join(root, ann_file)) as f:
            coco = json.load(f)
        imgs = {im["id"]: im["file_name"] for im in coco["images"]}
        split = "train2017" if train else "val2017"
        self.items = [
            (os.path.join(root, split, imgs[a["image_id"]]), a["bbox"], a["keypoints"])
            for a in coco["annotations"]
            if a["num_keypoints"] > 0 and not a.get("iscrowd", 0)
        ]
        self.train = train

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, (x, y, bw, bh), kps = self.items[i]
        img = cv2.imread(path)[:, :, ::-1]
        h, w = C.INPUT_SIZE
        scale = 1.25 * (np.random.uniform(0.75, 1.25) if self.train else 1.0)
        cx, cy = x + bw / 2, y + bh / 2
        side = max(bw, bh * w / h) * scale
        src = np.float32([[cx - side / 2, cy - side * h / w / 2], [cx + side / 2, cy - side * h / w / 2],
                          [cx - side / 2, cy + side * h / w / 2]])
        dst = np.float32([[0, 0], [w, 0], [0, h]])
        M = cv2.getAffineTransform(src, dst)
        crop = cv2.warpAffine(np.ascontiguousarray(img), M, (w, h))
        kps = np.array(kps, dtype=np.float32).reshape(-1, 3)
        joints = kps[:, :2] @ M[:, :2].T + M[:, 2]
        vis = (kps[:, 2] > 0).astype(np.float32)
        hm = gaussian_heatmaps(joints, vis)
        img_t = torch.from_numpy(crop.transpose(2, 0, 1).copy()).float().div(255.0)
        img_t = (img_t - 0.45) / 0.225
        return img_t, torch.from_numpy(hm), torch.from_numpy(vis)
