import json
import sys

import segmentation_models_pytorch as smp
import torch
import torch.nn as nn


class SegmentationModel(nn.Module):
    def __init__(self, arch, **kwargs):
        super().__init__()
        self.net = getattr(smp, arch)(**kwargs)

    def forward(self, x):
        return self.net(x)


def predict_masks(model, tiles):
    model.eval()
    with torch.no_grad():
        return [model(tile).sigmoid() > 0.5 for tile in tiles]


if __name__ == "__main__":
    config = json.load(open(sys.argv[1]))
    model = SegmentationModel(config["arch"], **config["args"])
    model.load_state_dict(torch.load(config["checkpoint"], map_location="cpu"))
    masks = predict_masks(model, torch.load(sys.argv[2]))
