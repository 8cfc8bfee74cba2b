import os

from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def build_transforms(cfg, train):
    size = cfg["img_size"]
    if train:
        return transforms.Compose([
            transforms.RandomResizedCrop(size, scale=(0.5, 1.0)),
            transforms.RandomHorizontalFlip(),
            transforms.RandomVerticalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(cfg["mean"], cfg["std"]),
        ])
    return transforms.Compose([
        transforms.Resize(int(size * 1.14)),
        transforms.CenterCrop(size),
        transforms.ToTensor(),
        transforms.Normalize(cfg["mean"], cfg["std"]),
    ])


def build_dataset(cfg, split):
    root = os.path.join(cfg["data_root"], split)
    return datasets.ImageFolder(root, transform=build_transforms(cfg, split == "train"))


def build_eval_loader(cfg, split, batch_size=1):
    """Evaluation loader; batch_size=1 by default because TTA images differ in size on disk."""
    return DataLoader(build_dataset(cfg, split), batch_size=batch_size, shuffle=False,
                      num_workers=cfg["workers"])
