"""Heatmap keypoint model fine-tuned from a pretrained backbone.

The backbone's BatchNorm layers are frozen so the pretrained statistics are kept.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from keypoint_data import KeypointHeatmapDataset  # project-local


def conv_bn_relu(in_ch, out_ch, stride=1):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stage1 = nn.Sequential(conv_bn_relu(3, 32, 2), conv_bn_relu(32, 32))
        self.stage2 = nn.Sequential(conv_bn_relu(32, 64, 2), conv_bn_relu(64, 64))
        self.stage3 = nn.Sequential(conv_bn_relu(64, 128, 2), conv_bn_relu(128, 128))

    def forward(self, x):
        return self.stage3(self.stage2(self.stage1(x)))


class HeatmapNet(nn.Module):
    def __init__(self, num_keypoints=17):
        super().__init__()
        self.backbone = Backbone()
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
        )
        self.final = nn.Conv2d(64, num_keypoints, 1)

    def forward(self, x):
        return self.final(self.deconv(self.backbone(x)))


def freeze_bn(module):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            m.weight.requires_grad_(False)
            m.bias.requires_grad_(False)


def evaluate(model, loader):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for images, heatmaps in loader:
            total += F.mse_loss(model(images), heatmaps, reduction="sum").item()
            n += images.size(0)
    return total / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pretrained", default="backbone_imagenet.pt")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()

    train_loader = DataLoader(KeypointHeatmapDataset("data/train", augment=True),
                              batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(KeypointHeatmapDataset("data/val"), batch_size=32)

    model = HeatmapNet()
    model.backbone.load_state_dict(torch.load(args.pretrained))
    freeze_bn(model.backbone)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=5e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[40, 55], gamma=0.1)

    for epoch in range(args.epochs):
        model.train()  # expect: BN105
        for images, heatmaps in train_loader:
            optimizer.zero_grad()
            loss = F.mse_loss(model(images), heatmaps)
            loss.backward()
            optimizer.step()
        scheduler.step()
        print(f"epoch {epoch}: val mse {evaluate(model, val_loader):.6f}")

    torch.save(model.state_dict(), "heatmapnet.pt")


if __name__ == "__main__":
    main()
