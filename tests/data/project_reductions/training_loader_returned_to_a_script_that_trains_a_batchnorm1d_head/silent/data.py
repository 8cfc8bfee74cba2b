from torch.utils.data import DataLoader, random_split


def get_loaders(dataset, batch_size=8):
    train_set, val_set = random_split(dataset, [0.85, 0.15])
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=batch_size)
    return train_loader, val_loader
