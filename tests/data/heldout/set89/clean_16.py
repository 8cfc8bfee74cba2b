"""Export a trained BiSeNet-lite segmentation model to TorchScript / ONNX / int8.

    python tools/export.py --checkpoint work_dirs/bisenet_city/latest.pth --formats onnx torchscript int8
"""
import argparse
import copy
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.quantization import fuse_modules, get_default_qconfig, prepare, convert


class ConvBNReLU(nn.Module):
    def __init__(self, in_chan, out_chan, ks=3, stride=1, padding=1):
        super().__init__()
        self.conv = nn.Conv2d(in_chan, out_chan, kernel_size=ks, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_chan)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class DetailBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.S1 = nn.Sequential(ConvBNReLU(3, 64, 3, stride=2), ConvBNReLU(64, 64, 3, stride=1))
        self.S2 = nn.Sequential(ConvBNReLU(64, 64, 3, stride=2), ConvBNReLU(64, 64, 3, stride=1),
                                ConvBNReLU(64, 64, 3, stride=1))
        self.S3 = nn.Sequential(ConvBNReLU(64, 128, 3, stride=2), ConvBNReLU(128, 128, 3, stride=1),
                                ConvBNReLU(128, 128, 3, stride=1))

    def forward(self, x):
        return self.S3(self.S2(self.S1(x)))


class SegmentBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(ConvBNReLU(3, 16, 3, stride=2), ConvBNReLU(16, 32, 3, stride=2))
        self.s3 = nn.Sequential(ConvBNReLU(32, 64, 3, stride=2), ConvBNReLU(64, 64, 3))
        self.s4 = nn.Sequential(ConvBNReLU(64, 128, 3, stride=2), ConvBNReLU(128, 128, 3))

    def forward(self, x):
        return self.s4(self.s3(self.stem(x)))


class SegHead(nn.Module):
    def __init__(self, in_chan, mid_chan, n_classes):
        super().__init__()
        self.conv = ConvBNReLU(in_chan, mid_chan, 3, stride=1)
        self.drop = nn.Dropout(0.1)
        self.conv_out = nn.Conv2d(mid_chan, n_classes, 1, 1, 0, bias=True)

    def forward(self, x, size):
        x = self.conv_out(self.drop(self.conv(x)))
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class BiSeNetLite(nn.Module):
    def __init__(self, n_classes=19):
        super().__init__()
        self.detail = DetailBranch()
        self.segment = SegmentBranch()
        self.head = SegHead(128, 256, n_classes)

    def forward(self, x):
        size = x.shape[2:]
        d = self.detail(x)
        s = F.interpolate(self.segment(x), size=d.shape[2:], mode="bilinear", align_corners=False)
        return self.head(d + s, size)


def fusable_groups(model):
    groups = []
    for name, m in model.named_modules():
        if isinstance(m, ConvBNReLU):
            groups.append([f"{name}.conv", f"{name}.bn", f"{name}.relu"])
    return groups


def export_int8(model, calib_batches, out_path):
    qmodel = copy.deepcopy(model)
    qmodel.train(False)
    qmodel = fuse_modules(qmodel, fusable_groups(qmodel))
    qmodel.qconfig = get_default_qconfig("fbgemm")
    prepare(qmodel, inplace=True)
    with torch.no_grad():
        for x in calib_batches:
            qmodel(x)
    qmodel = convert(qmodel)
    torch.jit.save(torch.jit.script(qmodel), out_path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--out-dir", default="exported")
    parser.add_argument("--formats", nargs="+", default=["onnx"])
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--opset", type=int, default=13)
    args = parser.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    model = BiSeNetLite(n_classes=19)
    state = torch.load(args.checkpoint, map_location="cpu")
    model.load_state_dict(state.get("state_dict", state))
    model.eval()

    dummy = torch.randn(1, 3, args.height, args.width)
    with torch.no_grad():
        ref = model(dummy)
    print("reference output:", tuple(ref.shape))

    if "torchscript" in args.formats:
        traced = torch.jit.trace(model, dummy)
        traced.save(os.path.join(args.out_dir, "bisenet_lite.pt"))

    if "onnx" in args.formats:
        torch.onnx.export(model, dummy, os.path.join(args.out_dir, "bisenet_lite.onnx"),
                          input_names=["input"], output_names=["logits"], opset_version=args.opset,
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})

    if "export" in args.formats:
        ep = torch.export.export(model, (dummy,))
        torch.export.save(ep, os.path.join(args.out_dir, "bisenet_lite.pt2"))

    if "int8" in args.formats:
        calib = [torch.randn(1, 3, args.height, args.width) for _ in range(8)]
        export_int8(model, calib, os.path.join(args.out_dir, "bisenet_lite_int8.pt"))


if __name__ == "__main__":
    main()
