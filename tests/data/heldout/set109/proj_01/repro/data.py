import torch
from torch.utils.data import DataLoader, TensorDataset


def _random_split(n, seed):
    g = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g))


def make_loaders(cfg, num_workers=0):
    train_ds = _random_split(cfg["num_train"], seed=0)
    val_ds = _random_split(cfg["num_val"], seed=1)
    train_loader = DataLoader(train_ds, batch_size=cfg["train_batch_size"], shuffle=True, drop_last=True, num_workers=num_workers)
    val_loader = DataLoader(val_ds, batch_size=cfg["eval_batch_size"], num_workers=num_workers)
    return train_loader, val_loader
