"""Settings for DDP fine-tuning of a small detector-style classifier on aerial ship chips."""
import functools

import torch.nn as nn

DATA_ROOT = "/mnt/data/ship_chips"
NUM_CLASSES = 2
IMG_SIZE = 256

PER_GPU_BATCH = 48
EPOCHS = 24
LR = 0.02
WEIGHT_DECAY = 5e-5
WORKERS = 6

# TF-ported pretrained weights were trained with eps=1e-3; PyTorch momentum convention (new-batch weight)
NORM = functools.partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01)
