import torch.nn as nn


class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))

    def eval_mode(self):
        self.training = False

    def train_mode(self):
        super().eval()
        self.training = True
