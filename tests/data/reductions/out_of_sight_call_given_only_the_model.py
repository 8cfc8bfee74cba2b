import torch
import torch.nn as nn
from evaluation.stats import weight_stats


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Conv2d(8, 1, 3))

    def forward(self, x):
        return self.body(x)


class EpithelialEvaluater:
    def __init__(self, images):
        self.images = images

    def compute_evaluation(self, generator):
        outputs = []
        for image in self.images:
            stats = weight_stats(generator)  # (given the model only: no item of the loop to run it on)
            outputs.append(torch.from_numpy(stats).numpy())
        return outputs
