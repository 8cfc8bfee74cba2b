"""COCO keypoints, top-down (one person box per sample)."""
import json
import os

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset


class COCOKeypoints(Dataset):
    def __init__(self, cfg, root, image_set, is_train, transform=None):
        self.root = root
        self.image_set = image_set
        self.is_train = is_train
        self.transform = transform
        self.num_joints = cfg["MODEL"]["NUM_JOINTS"]
        self.image_size = np.array(cfg["MODEL"]["IMAGE_SIZE"])
        self.heatmap_size = np.array(cfg["MODEL"]["HEATMAP_SIZE"])
        self.sigma = cfg["MODEL"]["SIGMA"]
        self.flip = cfg["DATASET"]["FLIP"] and is_train
        ann_file = os.path.join(root, "annotations", f"person_keypoints_{image_set}.json")
        with open(ann_file) as f:
            coco = json.load(f)
        images = {im["id"]: im["file_name"] for im in coco["images"]}
        self.db = []
        for ann in coco["annotations"]:
            if ann.get("num_keypoints", 0) == 0 or ann.get("iscrowd", 0):
                continue
            kpts = np.array(ann["keypoints"], dtype=np.float32).reshape(-1, 3)
            self.db.append({"image": os.path.join(root, "images", image_set, images[ann["image_id"]]),
                            "bbox": ann["bbox"], "joints": kpts})

    def __len__(self):
        return len(self.db)

    def _crop(self, img, bbox):
        x, y, w, h = bbox
        aspect = self.image_size[0] / self.image_size[1]
        cx, cy = x + w / 2, y + h / 2
        if w > aspect * h:
            h = w / aspect
        else:
            w = h * aspect
        w, h = w * 1.25, h * 1.25
        src = np.float32([[cx - w / 2, cy - h / 2], [cx + w / 2, cy - h / 2], [cx - w / 2, cy + h / 2]])
        dst = np.float32([[0, 0], [self.image_size[0], 0], [0, self.image_size[1]]])
        trans = cv2.getAffineTransform(src, dst)
        return cv2.warpAffine(img, trans, tuple(int(v) for v in self.image_size)), trans

    def _target(self, joints, trans):
        target = np.zeros((self.num_joints, self.heatmap_size[1], self.heatmap_size[0]), dtype=np.float32)
        weight = (joints[:, 2:3] > 0).astype(np.float32)
        stride = self.image_size / self.heatmap_size
        yy, xx = np.mgrid[0:self.heatmap_size[1], 0:self.heatmap_size[0]]
        for j in range(self.num_joints):
            if weight[j] == 0:
                continue
            pt = trans @ np.array([joints[j, 0], joints[j, 1], 1.0])
            mu_x, mu_y = pt[0] / stride[0], pt[1] / stride[1]
            target[j] = np.exp(-((xx - mu_x) ** 2 + (yy - mu_y) ** 2) / (2 * self.sigma ** 2))
        return target, weight

    def __getitem__(self, idx):
        rec = self.db[idx]
        img = cv2.imread(rec["image"], cv2.IMREAD_COLOR)[:, :, ::-1]
        crop, trans = self._crop(img, rec["bbox"])
        target, weight = self._target(rec["joints"], trans)
        inp = torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1).float() / 255.0
        if self.transform is not None:
            inp = self.transform(inp)
        return inp, torch.from_numpy(target), torch.from_numpy(weight), {"index": idx}
