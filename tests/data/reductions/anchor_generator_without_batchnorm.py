import torch
import torch.nn as nn
from torchvision.models.detection.anchor_utils import AnchorGenerator

backbone = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
anchor_generator = AnchorGenerator(sizes=((32, 64, 128),), aspect_ratios=((0.5, 1.0, 2.0),))

with torch.no_grad():
    anchors = anchor_generator(images, features)
