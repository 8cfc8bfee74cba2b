import os

from torch.utils.data import DataLoader
from torchvision import datasets, transforms

MEAN, STD = (0.480, 0.448, 0.398), (0.277, 0.269, 0.282)
TRAIN_BATCH = 128
EVAL_BATCH = 256


def make_loaders(root, workers=8):
    train_tf = transforms.Compose([transforms.RandomResizedCrop(64, scale=(0.35, 1.0)), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    val_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    train_ds = datasets.ImageFolder(os.path.join(root, "train"), train_tf)
    val_ds = datasets.ImageFolder(os.path.join(root, "val"), val_tf)
    train_loader = DataLoader(train_ds, batch_size=TRAIN_BATCH, shuffle=True, num_workers=workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=EVAL_BATCH, shuffle=False, num_workers=workers)
    return train_loader, val_loader
