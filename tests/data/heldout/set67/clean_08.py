"""Denoising model for microscopy tiles. Normalisation is GroupNorm/LayerNorm throughout,
so the network behaves identically in train and inference mode."""
import argparse
import functools
from pathlib import Path

import numpy as np
import tifffile
import torch
import torch.nn as nn
import torch.nn.functional as F

GroupNorm8 = functools.partial(nn.GroupNorm, 8)


class ResidualUnit(nn.Module):
    def __init__(self, channels, norm_layer=GroupNorm8):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm1 = norm_layer(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm2 = norm_layer(channels)

    def forward(self, x):
        y = F.silu(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        return F.silu(x + y)


class ChannelAttention(nn.Module):
    def __init__(self, channels, reduction=4):
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.fc1 = nn.Linear(channels, channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)

    def forward(self, x):
        pooled = self.norm(x.mean(dim=(2, 3)))
        weights = torch.sigmoid(self.fc2(F.silu(self.fc1(pooled))))
        return x * weights[:, :, None, None]


class Denoiser(nn.Module):
    def __init__(self, width=64, depth=6, norm_layer=GroupNorm8):
        super().__init__()
        self.head = nn.Conv2d(1, width, 3, padding=1)
        self.body = nn.Sequential(*[ResidualUnit(width, norm_layer) for _ in range(depth)])
        self.attention = ChannelAttention(width)
        self.tail = nn.Conv2d(width, 1, 3, padding=1)

    def forward(self, noisy):
        features = self.attention(self.body(self.head(noisy)))
        return noisy - self.tail(features)


def tiles(image, size=256, overlap=32):
    step = size - overlap
    h, w = image.shape
    for top in range(0, max(h - overlap, 1), step):
        for left in range(0, max(w - overlap, 1), step):
            yield top, left, image[top:top + size, left:left + size]


@torch.inference_mode()
def denoise(model, image, device, batch=16):
    out = np.zeros_like(image, dtype=np.float32)
    weight = np.zeros_like(image, dtype=np.float32)
    pending = list(tiles(image))
    for start in range(0, len(pending), batch):
        chunk = pending[start:start + batch]
        size = max(max(t.shape) for _, _, t in chunk)
        stack = np.stack([np.pad(t, ((0, size - t.shape[0]), (0, size - t.shape[1])), mode="reflect")
                          for _, _, t in chunk])
        pred = model(torch.from_numpy(stack).float().unsqueeze(1).to(device)).squeeze(1).cpu().numpy()
        for (top, left, t), p in zip(chunk, pred):
            out[top:top + t.shape[0], left:left + t.shape[1]] += p[:t.shape[0], :t.shape[1]]
            weight[top:top + t.shape[0], left:left + t.shape[1]] += 1
    return out / np.maximum(weight, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--out-dir", default="denoised")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = Denoiser()
    model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))
    model.to(device)

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in map(Path, args.inputs):
        image = tifffile.imread(path).astype(np.float32)
        lo, hi = np.percentile(image, (0.5, 99.5))
        normalized = (image - lo) / (hi - lo + 1e-6)
        restored = denoise(model, normalized, device) * (hi - lo) + lo
        tifffile.imwrite(out_dir / path.name, restored.astype(np.float32))
        print("wrote", out_dir / path.name)


if __name__ == "__main__":
    main()
