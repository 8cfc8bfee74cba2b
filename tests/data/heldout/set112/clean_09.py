"""Monocular depth: frozen pre-trained encoder + trainable decoder (NYU-v2 style).

The encoder comes from an earlier self-supervised run; we keep it frozen
(requires_grad=False, BatchNorm in eval mode) and only fit the decoder.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader, Dataset


class NYUDepthNpz(Dataset):
    def __init__(self, path):
        data = np.load(path)
        self.rgb = data["rgb"]      # (N, H, W, 3) uint8
        self.depth = data["depth"]  # (N, H, W) float32 metres

    def __len__(self):
        return len(self.rgb)

    def __getitem__(self, i):
        rgb = torch.from_numpy(self.rgb[i]).permute(2, 0, 1).float() / 255.0
        depth = torch.from_numpy(self.depth[i])[None]
        return rgb, depth


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        r = torchvision.models.resnet18()
        self.layer0 = nn.Sequential(r.conv1, r.bn1, r.relu)          # 64, 1/2
        self.layer1 = nn.Sequential(r.maxpool, r.layer1)             # 64, 1/4
        self.layer2, self.layer3, self.layer4 = r.layer2, r.layer3, r.layer4

    def forward(self, x):
        f0 = self.layer0(x)
        f1 = self.layer1(f0)
        f2 = self.layer2(f1)
        f3 = self.layer3(f2)
        f4 = self.layer4(f3)
        return [f0, f1, f2, f3, f4]


class Up(nn.Module):
    def __init__(self, in_ch, skip_ch, out_ch):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_ch, in_ch // 2, kernel_size=2, stride=2)
        self.fuse = nn.Sequential(
            nn.Conv2d(in_ch // 2 + skip_ch, out_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ELU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ELU(inplace=True),
        )

    def forward(self, x, skip):
        x = self.up(x)
        if x.shape[-2:] != skip.shape[-2:]:
            x = F.interpolate(x, size=skip.shape[-2:], mode="nearest")
        return self.fuse(torch.cat([x, skip], 1))


class DepthNet(nn.Module):
    def __init__(self, max_depth=10.0):
        super().__init__()
        self.encoder = Encoder()
        self.up4 = Up(512, 256, 256)
        self.up3 = Up(256, 128, 128)
        self.up2 = Up(128, 64, 64)
        self.up1 = Up(64, 64, 32)
        self.head = nn.Conv2d(32, 1, 3, padding=1)
        self.max_depth = max_depth

    def forward(self, x):
        f0, f1, f2, f3, f4 = self.encoder(x)
        d = self.up1(self.up2(self.up3(self.up4(f4, f3), f2), f1), f0)
        d = F.interpolate(d, scale_factor=2, mode="bilinear", align_corners=False)
        return torch.sigmoid(self.head(d)) * self.max_depth


def silog_loss(pred, target, lam=0.85):
    valid = target > 1e-3
    g = torch.log(pred[valid]) - torch.log(target[valid])
    return torch.sqrt((g ** 2).mean() - lam * g.mean() ** 2) * 10.0


def set_decoder_training(model):
    """Train the decoder; the pre-trained encoder stays a frozen feature extractor."""
    model.train()
    model.encoder.eval()


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    abs_rel, n = 0.0, 0
    for rgb, depth in loader:
        rgb, depth = rgb.to(device), depth.to(device)
        pred = model(rgb)
        valid = depth > 1e-3
        abs_rel += (torch.abs(pred[valid] - depth[valid]) / depth[valid]).mean().item() * rgb.size(0)
        n += rgb.size(0)
    return abs_rel / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="data/nyu_train.npz")
    ap.add_argument("--val", default="data/nyu_val.npz")
    ap.add_argument("--encoder-ckpt", default="pretrained/ssl_resnet18_encoder.pt")
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--batch-size", type=int, default=16)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = DepthNet().to(device)
    model.encoder.load_state_dict(torch.load(args.encoder_ckpt, map_location=device))
    model.encoder.eval()
    for p in model.encoder.parameters():
        p.requires_grad = False

    train_loader = DataLoader(NYUDepthNpz(args.train), batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(NYUDepthNpz(args.val), batch_size=8, num_workers=2)
    decoder_params = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    optimizer = torch.optim.Adam(decoder_params, lr=2e-4)

    for epoch in range(args.epochs):
        set_decoder_training(model)
        for step, (rgb, depth) in enumerate(train_loader):
            rgb, depth = rgb.to(device), depth.to(device)
            loss = silog_loss(model(rgb), depth)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 200 == 0:
                print(f"epoch {epoch} step {step} silog {loss.item():.3f}")
        print(f"epoch {epoch}: val AbsRel {evaluate(model, val_loader, device):.4f}")
        torch.save(model.state_dict(), "depthnet_frozen_enc.pt")

    model.eval()
    dummy = torch.randn(1, 3, 480, 640, device=device)
    torch.onnx.export(model, dummy, "depthnet.onnx", input_names=["rgb"], output_names=["depth"], opset_version=17)


if __name__ == "__main__":
    main()
