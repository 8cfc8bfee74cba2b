import torch

from nets import Net
from trainer import Trainer

Trainer(Net(), torch.load("train_loader.pt"), torch.load("val_loader.pt")).fit()
