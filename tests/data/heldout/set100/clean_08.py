"""Depth estimation from a single image; validation inside a mode-restoring
context manager, ONNX export in eval mode at the end."""
import argparse
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from depth_data import NYUDepth  # project-local


@contextmanager
def inference(model):
    """Run a block with `model` in eval mode and autograd disabled, then restore."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


def down(in_ch, out_ch):
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, stride=2, padding=1, bias=False),
                         nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))


def up(in_ch, out_ch):
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                         nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
                         nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))


class DepthNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(down(3, 32), down(32, 64), down(64, 128), down(128, 256))
        self.decoder = nn.Sequential(up(256, 128), up(128, 64), up(64, 32), up(32, 16))
        self.head = nn.Conv2d(16, 1, 3, padding=1)

    def forward(self, x):
        return F.softplus(self.head(self.decoder(self.encoder(x))))


def abs_rel(pred, target):
    valid = target > 0
    return ((pred[valid] - target[valid]).abs() / target[valid]).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()

    train_loader = DataLoader(NYUDepth("data/nyu", split="train"), batch_size=args.batch_size,
                              shuffle=True, num_workers=6, drop_last=True)
    val_loader = DataLoader(NYUDepth("data/nyu", split="val"), batch_size=8, num_workers=6)

    model = DepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-4, weight_decay=1e-2)
    best = float("inf")

    model.train()
    for epoch in range(args.epochs):
        for image, depth in train_loader:
            optimizer.zero_grad()
            loss = F.l1_loss(model(image), depth)
            loss.backward()
            optimizer.step()

        with inference(model) as net:
            errors = [abs_rel(net(image), depth).item() for image, depth in val_loader]
        err = sum(errors) / len(errors)
        print(f"epoch {epoch}: AbsRel {err:.4f}")
        if err < best:
            best = err
            torch.save(model.state_dict(), "depthnet_best.pt")

    model.load_state_dict(torch.load("depthnet_best.pt"))
    model.eval()
    torch.onnx.export(model, torch.randn(1, 3, 240, 320), "depthnet.onnx",
                      input_names=["rgb"], output_names=["depth"], opset_version=17)


if __name__ == "__main__":
    main()
