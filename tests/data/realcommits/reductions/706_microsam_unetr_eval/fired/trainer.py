import torch
import torchvision
from torch_em.model import UNETR


class JointTrainer:
    def __init__(self, unetr, val_loader):
        self.unetr = unetr
        self.val_loader = val_loader

    def _validate_impl(self):
        with torch.no_grad():
            for x, y in self.val_loader:
                loss = (self.unetr(x) - y).abs().mean()
                print(loss.item())


def main(val_loader):
    JointTrainer(torchvision.models.resnet18(), val_loader)._validate_impl()
