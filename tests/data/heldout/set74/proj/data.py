"""Synthetic surface-defect images and the loaders built from them."""
import torch
from torch.utils.data import DataLoader, Dataset, Subset

import config


class DefectImages(Dataset):
    """Procedurally generated grey-scale patches of metal surfaces."""

    def __init__(self, num_samples, seed, augment=False):
        self.num_samples = num_samples
        self.seed = seed
        self.augment = augment

    def __len__(self):
        return self.num_samples

    def _draw(self, label, g):
        size = config.IMAGE_SIZE
        img = 0.5 + config.DATA["noise_std"] * torch.randn(size, size, generator=g)
        r, c = torch.randint(16, size - 16, (2,), generator=g).tolist()
        if label == 1:
            img[r, c - 12 : c + 12] -= 0.4
        elif label == 2:
            yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
            img -= 0.3 * torch.exp(-((yy - r) ** 2 + (xx - c) ** 2) / 40.0)
        elif label == 3:
            for k in range(10):
                img[r + k, c + k // 2] = 0.0
        return img.clamp(0.0, 1.0)

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(self.seed * 100_003 + idx)
        label = idx % config.NUM_CLASSES
        img = self._draw(label, g)
        if self.augment and torch.rand(1, generator=g).item() < 0.5:
            img = img.flip(-1)
        return img.unsqueeze(0), label


def train_dataset():
    return DefectImages(config.DATA["num_train"], seed=config.SEED, augment=config.DATA["augment"])


def val_dataset():
    return DefectImages(config.DATA["num_val"], seed=config.SEED + 1)


def train_loader():
    ds = train_dataset()
    return DataLoader(ds, batch_size=config.TRAIN["batch_size"], shuffle=True, num_workers=config.TRAIN["num_workers"])  # expect: BN302


def val_loader():
    return DataLoader(val_dataset(), batch_size=config.EVAL_BATCH_SIZE, shuffle=False)


def hard_subset(indices):
    """Samples the current model gets wrong, for a short extra fine-tuning pass."""
    return Subset(train_dataset(), indices[: config.DATA["num_hard"]])
