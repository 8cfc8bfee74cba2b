#!/usr/bin/env python3
"""Export the ported TF keypoint regressor to ONNX and verify it with
onnxruntime against the PyTorch reference output.

The architecture mirrors the original TF model; its BatchNorm momentum is
expressed in the PyTorch convention (weight of the new batch).
"""
import argparse
import sys

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn

TF_BN_DECAY = 0.99
BN_MOMENTUM = 0.01  # = 1 - TF_BN_DECAY
BN_EPS = 1e-3
NUM_KEYPOINTS = 17


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM),
        nn.ReLU(inplace=True),
    )


class KeypointNet(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.encoder = nn.Sequential(
            conv_bn(3, width, 2),
            conv_bn(width, width),
            conv_bn(width, 2 * width, 2),
            conv_bn(2 * width, 2 * width),
            conv_bn(2 * width, 4 * width, 2),
            conv_bn(4 * width, 4 * width),
        )
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.decoder = conv_bn(4 * width, 2 * width)
        self.heatmaps = nn.Conv2d(2 * width, NUM_KEYPOINTS, 1)

    def forward(self, x):
        return self.heatmaps(self.decoder(self.up(self.encoder(x))))


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--weights", required=True, help="state_dict produced by the TF->PT port")
    p.add_argument("--output", default="keypoints.onnx")
    p.add_argument("--height", type=int, default=256)
    p.add_argument("--width", type=int, default=192)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--atol", type=float, default=1e-4)
    return p.parse_args()


def main():
    args = parse_args()
    model = KeypointNet()
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.train(mode=False)

    dummy = torch.randn(2, 3, args.height, args.width)
    torch.onnx.export(
        model,
        dummy,
        args.output,
        input_names=["image"],
        output_names=["heatmaps"],
        dynamic_axes={"image": {0: "batch"}, "heatmaps": {0: "batch"}},
        opset_version=args.opset,
    )

    with torch.no_grad():
        reference = model(dummy).numpy()

    sess = ort.InferenceSession(args.output, providers=["CPUExecutionProvider"])
    (onnx_out,) = sess.run(None, {"image": dummy.numpy()})
    max_err = float(np.abs(onnx_out - reference).max())
    print(f"exported {args.output}; max |onnx - torch| = {max_err:.2e}")
    if max_err > args.atol:
        print("ERROR: onnxruntime output differs from PyTorch", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
