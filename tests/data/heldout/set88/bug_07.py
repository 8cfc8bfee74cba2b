#!/usr/bin/env python
# "Expected more than 1 value per channel when training" -- but I'm NOT training??
#
# My predict script crashes on the first image with
#   ValueError: Expected more than 1 value per channel when training, got input size torch.Size([1, 128])
# I already put the model in eval mode and wrapped everything in no_grad.
# Training went fine (batch size 32). predict.py:
import argparse
import glob
import os

import torch
import torch.nn as nn
import torchvision.transforms as T
from PIL import Image

CLASSES = ["healthy", "rust", "scab", "multiple"]


class LeafNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.Conv2d(64, 256, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(
            nn.Linear(256, 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.head(self.features(x))


tfm = T.Compose([T.Resize((224, 224)), T.ToTensor(),
                 T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ckpt")
    p.add_argument("image_dir")
    args = p.parse_args()

    model = LeafNet(num_classes=len(CLASSES))
    state = torch.load(args.ckpt, map_location="cpu")
    model.load_state_dict(state["model"])
    model.eval  # expect: BN102

    files = sorted(glob.glob(os.path.join(args.image_dir, "*.jpg")))
    with torch.no_grad():
        for f in files:
            x = tfm(Image.open(f).convert("RGB")).unsqueeze(0)
            prob = model(x).softmax(dim=1)[0]  # expect: BN101
            k = int(prob.argmax())
            print(f"{os.path.basename(f)}\t{CLASSES[k]}\t{prob[k]:.3f}")


if __name__ == "__main__":
    main()
