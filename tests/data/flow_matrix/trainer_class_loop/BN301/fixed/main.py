import torch
from torch.utils.data import DataLoader

from nets import Net
from trainer import Trainer

train_loader = DataLoader(torch.load("train_set.pt"), batch_size=128, shuffle=True)
val_loader = DataLoader(torch.load("val_set.pt"), batch_size=256)
Trainer(Net(), train_loader, val_loader).fit()
