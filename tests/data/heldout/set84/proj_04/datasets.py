"""ImageFolder datasets + distributed loaders."""
import torch
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def train_transform(size):
    return transforms.Compose([
        transforms.RandomResizedCrop(size, scale=(0.08, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.ColorJitter(0.4, 0.4, 0.4),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def val_transform(size):
    return transforms.Compose([
        transforms.Resize(int(size / 0.875)),
        transforms.CenterCrop(size),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def build_datasets(cfg):
    d = cfg["data"]
    train = datasets.ImageFolder(d["train_dir"], transform=train_transform(d["img_size"]))
    val = datasets.ImageFolder(d["val_dir"], transform=val_transform(d["img_size"]))
    return train, val


def build_val_loader(val_set, batch_size, workers, distributed=True):
    sampler = DistributedSampler(val_set, shuffle=False) if distributed else None
    return DataLoader(val_set, batch_size=batch_size, sampler=sampler, shuffle=False,
                      num_workers=workers, pin_memory=True)


def collate_check(batch):
    imgs = torch.stack([b[0] for b in batch])
    labels = torch.tensor([b[1] for b in batch])
    return imgs, labels
