"""Export the keypoint regressor (hand pose, 21 joints) to ONNX for the mobile app.

    python export_handpose.py --weights runs/handpose_v3/best.pth --out handpose_v3.onnx
"""
import argparse
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_JOINTS = 21
INPUT_SIZE = 224


class DepthwiseSeparable(nn.Module):
    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.dw = nn.Conv2d(in_ch, in_ch, 3, stride, 1, groups=in_ch, bias=False)
        self.bn_dw = nn.BatchNorm2d(in_ch)
        self.pw = nn.Conv2d(in_ch, out_ch, 1, bias=False)
        self.bn_pw = nn.BatchNorm2d(out_ch)

    def forward(self, x):
        x = F.relu6(self.bn_dw(self.dw(x)))
        return F.relu6(self.bn_pw(self.pw(x)))


class HandPoseNet(nn.Module):
    CHANNELS = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1),
                (256, 512, 2), (512, 512, 1), (512, 512, 1), (512, 1024, 2)]

    def __init__(self, num_joints=NUM_JOINTS):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6(inplace=True))
        self.blocks = nn.Sequential(*[DepthwiseSeparable(i, o, s) for i, o, s in self.CHANNELS])
        self.regressor = nn.Sequential(
            nn.Linear(1024, 512, bias=False),
            nn.BatchNorm1d(512),
            nn.ReLU(inplace=True),
            nn.Linear(512, num_joints * 3),
        )

    def forward(self, x):
        x = self.blocks(self.stem(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.regressor(x).view(-1, NUM_JOINTS, 3)


def load_weights(model, path):
    ckpt = torch.load(path, map_location="cpu")
    state = ckpt["model"] if "model" in ckpt else ckpt
    state = {k.replace("module.", "", 1): v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise RuntimeError(f"checkpoint mismatch: missing={missing} unexpected={unexpected}")
    return ckpt.get("meta", {})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", required=True)
    parser.add_argument("--out", default="handpose.onnx")
    parser.add_argument("--opset", type=int, default=13)
    parser.add_argument("--dynamic-batch", action="store_true")
    args = parser.parse_args()

    model = HandPoseNet()
    meta = load_weights(model, args.weights)
    model.eval  # expect: BN102
    dummy = torch.randn(1, 3, INPUT_SIZE, INPUT_SIZE)
    dyn = {"image": {0: "batch"}, "joints": {0: "batch"}} if args.dynamic_batch else None

    torch.onnx.export(model, dummy, args.out, opset_version=args.opset, input_names=["image"], output_names=["joints"], dynamic_axes=dyn)  # expect: BN104
    size_mb = os.path.getsize(args.out) / 2 ** 20
    print(f"wrote {args.out} ({size_mb:.1f} MiB)")

    sidecar = os.path.splitext(args.out)[0] + ".json"
    with open(sidecar, "w") as f:
        json.dump({"input_size": INPUT_SIZE, "num_joints": NUM_JOINTS, "opset": args.opset,
                   "mean": meta.get("mean", [0.485, 0.456, 0.406]),
                   "std": meta.get("std", [0.229, 0.224, 0.225])}, f, indent=2)
    print(f"wrote {sidecar}")


if __name__ == "__main__":
    main()
