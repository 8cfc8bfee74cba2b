"""Synthetic 3D volumes whose class is encoded in a blob's size/channel."""
import torch

import configs as C


def paint_blobs(vols, labels, seed=0):
    """In-place: adds a sphere whose radius depends on the label to each volume."""
    g = torch.Generator().manual_seed(seed)
    n, in_ch, size = vols.shape[0], vols.shape[1], vols.shape[-1]
    grid = torch.stack(torch.meshgrid(*[torch.arange(size)] * 3, indexing="ij")).float()
    for i in range(n):
        centre = torch.randint(8, size - 8, (3,), generator=g).float()
        radius = 3.0 + 2.0 * labels[i].item()
        d2 = ((grid - centre[:, None, None, None]) ** 2).sum(0)
        vols[i, labels[i].item() % in_ch] += (d2 < radius ** 2).float()
    return vols


def normalise(vols):
    mean = vols.mean(dim=(2, 3, 4), keepdim=True)
    std = vols.std(dim=(2, 3, 4), keepdim=True).clamp(min=1e-6)
    return (vols - mean) / std


def random_flip(vols):
    """Batch-level flip augmentation along a random spatial axis."""
    axis = int(torch.randint(2, 5, (1,)))
    if torch.rand(1).item() < 0.5:
        vols = vols.flip(axis)
    return vols


def split_sizes():
    return {"train": C.NUM_TRAIN, "val": C.NUM_VAL, "test": C.NUM_TEST}
