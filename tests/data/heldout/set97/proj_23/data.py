"""ADE20K dataset with torchvision v2 joint image/mask transforms."""
from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset
from torchvision import tv_tensors
from torchvision.io import ImageReadMode, read_image
from torchvision.transforms import v2

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def build_transforms(crop: int, train: bool) -> v2.Compose:
    to_float = v2.ToDtype({tv_tensors.Image: torch.float32, "others": None}, scale=True)
    if train:
        return v2.Compose([
            v2.RandomResizedCrop(crop, scale=(0.5, 2.0), antialias=True),
            v2.RandomHorizontalFlip(),
            v2.ColorJitter(0.3, 0.3, 0.3),
            to_float,
            v2.Normalize(MEAN, STD),
        ])
    return v2.Compose([v2.Resize(crop, antialias=True), to_float, v2.Normalize(MEAN, STD)])


class ADE20K(Dataset):
    def __init__(self, root: Path, split: str, transform: v2.Compose) -> None:
        self.images = sorted((root / "images" / split).glob("*.jpg"))
        self.ann_dir = root / "annotations" / split
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        img_path = self.images[idx]
        image = tv_tensors.Image(read_image(str(img_path), ImageReadMode.RGB))
        mask = read_image(str(self.ann_dir / f"{img_path.stem}.png"))[0].long() - 1
        mask[mask < 0] = 255  # "other" class -> ignore
        image, mask = self.transform(image, tv_tensors.Mask(mask))
        return image, mask
