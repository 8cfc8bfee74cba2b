"""CIFAR-10 loaders with the usual crop/flip augmentation."""
import torch
from torch.utils.data import DataLoader, Subset
import torchvision
import torchvision.transforms as T

import configs as C


def _transforms(train):
    if train:
        return T.Compose([
            T.RandomCrop(32, padding=4, padding_mode="reflect"),
            T.RandomHorizontalFlip(),
            T.ToTensor(),
            T.Normalize(C.MEAN, C.STD),
        ])
    return T.Compose([T.ToTensor(), T.Normalize(C.MEAN, C.STD)])


def build_datasets(root=C.DATA_ROOT, val_split=5000, seed=C.SEED):
    """Returns (train, val, test). `val` is carved out of the official train split."""
    full_train = torchvision.datasets.CIFAR10(root, train=True, download=True,
                                              transform=_transforms(True))
    full_val = torchvision.datasets.CIFAR10(root, train=True, download=False,
                                            transform=_transforms(False))
    test = torchvision.datasets.CIFAR10(root, train=False, download=True,
                                        transform=_transforms(False))

    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(full_train), generator=g).tolist()
    train = Subset(full_train, perm[val_split:])
    val = Subset(full_val, perm[:val_split])
    return train, val, test


def build_loaders(batch_size=C.BATCH_SIZE, eval_batch_size=C.EVAL_BATCH_SIZE):
    train, val, test = build_datasets()
    train_loader = DataLoader(
        train,
        batch_size=batch_size,
        shuffle=True,
        num_workers=C.NUM_WORKERS,
        pin_memory=True,
        drop_last=True,
        persistent_workers=True,
    )
    val_loader = DataLoader(val, batch_size=eval_batch_size, shuffle=False,
                            num_workers=C.NUM_WORKERS, pin_memory=True)
    test_loader = DataLoader(test, batch_size=eval_batch_size, shuffle=False,
                             num_workers=C.NUM_WORKERS, pin_memory=True)
    return train_loader, val_loader, test_loader
