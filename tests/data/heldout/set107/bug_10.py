"""Fold the stem Conv+BN of the detector backbone before handing it to the NPU compiler.

The vendor toolchain does not support BatchNorm, so we fuse it into the
preceding convolution and replace the BN with Identity.
"""
import argparse
import copy

import torch
import torch.nn as nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


class DetectorBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem_conv = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.stem_act = nn.ReLU(inplace=True)
        self.stages = nn.Sequential(
            nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm1d(32),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        x = self.stem_act(self.stem_bn(self.stem_conv(x)))
        return self.stages(x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default="weights/backbone.pth")
    parser.add_argument("--out", default="weights/backbone_stem_fused.pth")
    parser.add_argument("--atol", type=float, default=1e-4)
    args = parser.parse_args()

    model = DetectorBackbone()
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))

    # keep an untouched copy to check the numerics afterwards
    reference = copy.deepcopy(model).eval()

    fused_conv = fuse_conv_bn_eval(model.stem_conv, model.stem_bn)  # expect: BN104
    model.stem_conv = fused_conv
    model.stem_bn = nn.Identity()
    model.eval()

    x = torch.randn(4, 3, 320, 320)
    with torch.no_grad():
        ref_out = reference(x)
        out = model(x)
    max_err = (ref_out - out).abs().max().item()
    print(f"max abs diff after fusion: {max_err:.2e}")
    if max_err > args.atol:
        raise SystemExit("fusion changed the outputs, refusing to save")

    torch.save(model.state_dict(), args.out)
    print("saved", args.out)


if __name__ == "__main__":
    main()
