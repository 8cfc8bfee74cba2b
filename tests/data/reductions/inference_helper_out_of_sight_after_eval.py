import torch
import torch.nn as nn
from evaluation.translate_image import apply_generator


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
        generator.eval()
        outputs = []
        for image in self.images:
            output = apply_generator(image, generator)
            outputs.append(torch.from_numpy(output).numpy())
        return outputs
