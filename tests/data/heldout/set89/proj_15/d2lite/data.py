"""Minimal COCO detection dataset with offline FCOS targets."""
import json
import os

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

_PREDEFINED = {
    "coco_2017_train": ("coco/train2017", "coco/annotations/instances_train2017.json"),
    "coco_2017_val": ("coco/val2017", "coco/annotations/instances_val2017.json"),
}


def trivial_batch_collator(batch):
    """A batch collator that does nothing."""
    return batch


class COCODetection(Dataset):
    def __init__(self, name, is_train, root=os.environ.get("DETECTRON2_DATASETS", "datasets"),
                 min_size=800, max_size=1333):
        image_dir, ann_file = _PREDEFINED[name]
        self.image_dir = os.path.join(root, image_dir)
        with open(os.path.join(root, ann_file)) as f:
            self.images = json.load(f)["images"]
        self.target_dir = os.path.join(root, "fcos_targets", name)
        self.is_train = is_train
        self.min_size, self.max_size = min_size, max_size

    def __len__(self):
        return len(self.images)

    def __getitem__(self, idx):
        info = self.images[idx]
        img = cv2.imread(os.path.join(self.image_dir, info["file_name"]))
        h, w = img.shape[:2]
        scale = min(self.min_size / min(h, w), self.max_size / max(h, w))
        img = cv2.resize(img, (int(w * scale + 0.5), int(h * scale + 0.5)))
        flip = self.is_train and np.random.rand() < 0.5
        if flip:
            img = img[:, ::-1]
        record = {
            "image_id": info["id"],
            "height": h,
            "width": w,
            "image": torch.as_tensor(np.ascontiguousarray(img.transpose(2, 0, 1))).float(),
        }
        if self.is_train:
            record["targets"] = torch.load(os.path.join(self.target_dir, f"{info['id']}{'_f' if flip else ''}.pt"))
        return record
