import random

import numpy as np
import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

CFG = {
    "data_root": "data",
    "img_size": 48,
    "batch_size": 128,
    "num_classes": 43,
    "epochs": 12,
    "lr": 2e-3,
    "workers": 4,
}


def seed_everything(seed=0):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def get_loaders(cfg=CFG):
    norm = transforms.Normalize((0.34, 0.31, 0.32), (0.27, 0.26, 0.27))
    train_tf = transforms.Compose([
        transforms.Resize((cfg["img_size"], cfg["img_size"])),
        transforms.RandomAffine(10, translate=(0.1, 0.1)),
        transforms.ColorJitter(0.3, 0.3, 0.3),
        transforms.ToTensor(),
        norm,
    ])
    test_tf = transforms.Compose([transforms.Resize((cfg["img_size"], cfg["img_size"])), transforms.ToTensor(), norm])
    train_ds = datasets.GTSRB(cfg["data_root"], split="train", transform=train_tf, download=True)
    test_ds = datasets.GTSRB(cfg["data_root"], split="test", transform=test_tf, download=True)
    train_dl = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True, num_workers=cfg["workers"], pin_memory=True)
    test_dl = DataLoader(test_ds, batch_size=512, num_workers=cfg["workers"])
    return train_dl, test_dl
