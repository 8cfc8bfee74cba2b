"""Export a trained defect classifier for deployment: fused FP32 TorchScript + ONNX.

    python export.py --ckpt runs/exp12/best.pt --out deploy/ --fuse --img-size 320
"""
import argparse
import os

import torch
import torch.nn as nn
from torch.ao.quantization import fuse_modules

CONFIGS = {
    "small": {"widths": (24, 48, 96, 192), "depths": (1, 2, 2, 1)},
    "base": {"widths": (32, 64, 128, 256), "depths": (2, 2, 3, 2)},
}


class ConvBNReLU(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, stride, 1, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class Stage(nn.Module):
    def __init__(self, in_ch, out_ch, depth):
        super().__init__()
        blocks = [ConvBNReLU(in_ch, out_ch, stride=2)]
        for _ in range(depth):
            blocks.append(ConvBNReLU(out_ch, out_ch))
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(x)


class DefectNet(nn.Module):
    def __init__(self, widths, depths, num_classes):
        super().__init__()
        self.stem = ConvBNReLU(3, widths[0], stride=2)
        chans = (widths[0],) + tuple(widths)
        self.stages = nn.Sequential(*[Stage(chans[i], chans[i + 1], d) for i, d in enumerate(depths)])
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(widths[-1], num_classes))

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


def build_model(arch, num_classes):
    cfg = CONFIGS[arch]
    return DefectNet(cfg["widths"], cfg["depths"], num_classes)


def load_for_inference(ckpt_path, device="cpu"):
    ckpt = torch.load(ckpt_path, map_location="cpu")
    model = build_model(ckpt["arch"], ckpt["num_classes"])
    state = ckpt.get("ema") or ckpt["model"]
    state = {k.removeprefix("module."): v for k, v in state.items()}
    model.load_state_dict(state)
    model.to(device)
    model.eval()
    return model, ckpt


def fuse_conv_bn_relu(model):
    for module in model.modules():
        if isinstance(module, ConvBNReLU):
            fuse_modules(module, [["conv", "bn", "relu"]], inplace=True)
    return model


def export_torchscript(model, example, path):
    traced = torch.jit.trace(model, example)
    traced = torch.jit.freeze(traced)
    traced.save(path)
    return traced


def export_onnx(model, example, path, opset):
    torch.onnx.export(
        model,
        example,
        path,
        opset_version=opset,
        input_names=["images"],
        output_names=["logits"],
        dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
        do_constant_folding=True,
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", required=True)
    parser.add_argument("--out", default="deploy")
    parser.add_argument("--img-size", type=int, default=320)
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--fuse", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    model, ckpt = load_for_inference(args.ckpt)
    example = torch.randn(1, 3, args.img_size, args.img_size)
    with torch.no_grad():
        reference = model(example)
    if args.fuse:
        model = fuse_conv_bn_relu(model)
        with torch.no_grad():
            fused_out = model(example)
        print(f"max |fused - reference| = {(fused_out - reference).abs().max().item():.2e}")

    traced = export_torchscript(model, example, os.path.join(args.out, "model.torchscript.pt"))
    export_onnx(model, example, os.path.join(args.out, "model.onnx"), args.opset)
    with torch.no_grad():
        ts_out = traced(example)
    print(f"max |torchscript - reference| = {(ts_out - reference).abs().max().item():.2e}")
    print(f"exported {ckpt['arch']} ({ckpt['num_classes']} classes) to {args.out}")


if __name__ == "__main__":
    main()
