"""Tiny-ImageNet: train is an ImageFolder; val needs val_annotations.txt."""
import os

from PIL import Image
from torch.utils.data import Dataset
from torchvision import datasets, transforms

import configs as C

MEAN, STD = (0.480, 0.448, 0.398), (0.277, 0.269, 0.282)


def train_tf():
    return transforms.Compose([
        transforms.RandomResizedCrop(C.IMG_SIZE, scale=(0.35, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.TrivialAugmentWide(),
        transforms.ToTensor(),
        transforms.Normalize(MEAN, STD),
    ])


def eval_tf():
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])


class TinyImageNetVal(Dataset):
    def __init__(self, root, class_to_idx, transform=None):
        ann = os.path.join(root, "val", "val_annotations.txt")
        with open(ann) as f:
            rows = [line.split("\t")[:2] for line in f]
        self.samples = [(os.path.join(root, "val", "images", fn), class_to_idx[wnid]) for fn, wnid in rows]
        self.transform = transform

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, y = self.samples[i]
        img = Image.open(path).convert("RGB")
        return (self.transform(img) if self.transform else img), y


def build_datasets(root=C.DATA_ROOT):
    train = datasets.ImageFolder(os.path.join(root, "train"), transform=train_tf())
    val = TinyImageNetVal(root, train.class_to_idx, transform=eval_tf())
    return train, val
