"""Deploy the HC18 fetal head segmentation net to the ultrasound cart (CPU only).

Steps: load checkpoint -> switch to inference mode -> fuse conv+bn+relu -> TorchScript + ONNX,
then check that the fused/traced model agrees with the original on a few real frames.
"""
import argparse
import glob
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.ao.quantization import fuse_modules

BN_EPS = 1e-3  # matches the TF reference implementation we validated against


class ConvBNReLU(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout, BN_EPS)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class HeadNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem_conv = nn.Conv2d(1, 64, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(64, 1e-5)
        self.stem_relu = nn.ReLU()
        self.e1 = ConvBNReLU(64, 64)
        self.e2 = ConvBNReLU(64, 128)
        self.e3 = ConvBNReLU(128, 256)
        self.d2 = ConvBNReLU(256 + 128, 128)
        self.d1 = ConvBNReLU(128 + 64, 64)
        self.head = nn.Conv2d(64, 1, 1)

    def forward(self, x):
        x = self.stem_relu(self.stem_bn(self.stem_conv(x)))
        e1 = self.e1(x)
        e2 = self.e2(F.max_pool2d(e1, 2))
        e3 = self.e3(F.max_pool2d(e2, 2))
        d2 = self.d2(torch.cat([F.interpolate(e3, scale_factor=2.0, mode="nearest"), e2], 1))
        d1 = self.d1(torch.cat([F.interpolate(d2, scale_factor=2.0, mode="nearest"), e1], 1))
        return self.head(d1)


FUSE_GROUPS = [["stem_conv", "stem_bn", "stem_relu"]] + [
    [f"{blk}.conv", f"{blk}.bn", f"{blk}.relu"] for blk in ("e1", "e2", "e3", "d2", "d1")
]


def load_frames(folder, n=8, size=(544, 800)):
    frames = []
    for p in sorted(glob.glob(os.path.join(folder, "*_HC.png")))[:n]:
        img = Image.open(p).convert("L").resize(size[::-1], Image.BILINEAR)
        frames.append(torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0)[None])
    return torch.stack(frames)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="checkpoints/hc18_headnet.pt")
    ap.add_argument("--frames", default="data/HC18/test_set")
    ap.add_argument("--out", default="export")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    model = HeadNet()
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu")["model"])
    model.train(False)

    frames = load_frames(args.frames)
    with torch.no_grad():
        reference = torch.sigmoid(model(frames))

    fused = fuse_modules(model, FUSE_GROUPS, inplace=False)
    example = torch.zeros(1, 1, 544, 800)
    traced = torch.jit.trace(fused, example)
    traced = torch.jit.freeze(traced)
    traced.save(os.path.join(args.out, "headnet_fused.pt"))

    torch.onnx.export(model, example, os.path.join(args.out, "headnet.onnx"), opset_version=17,
                      input_names=["frame"], output_names=["logit"],
                      dynamic_axes={"frame": {0: "n"}, "logit": {0: "n"}})

    with torch.no_grad():
        out = torch.sigmoid(traced(frames))
    err = (out - reference).abs().max().item()
    agree = ((out > 0.5) == (reference > 0.5)).float().mean().item()
    print(f"max |diff| = {err:.2e}, pixel agreement = {agree * 100:.3f}%")
    assert err < 1e-4, "fused model diverges from reference"


if __name__ == "__main__":
    main()
