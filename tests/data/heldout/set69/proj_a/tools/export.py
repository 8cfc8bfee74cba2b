"""Export a trained segmentor to ONNX (and optionally a fused TorchScript module).

    python tools/export.py --config pspnet_r18_cityscapes --ckpt best.pth --out pspnet.onnx --height 1024 --width 2048
"""
import argparse
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from configs import get_config  # noqa: E402
from models import build_model  # noqa: E402


def fuse_conv_bn_pairs(module: nn.Module) -> nn.Module:
    """Fuse every (Conv2d, BatchNorm2d[, ReLU]) run inside nn.Sequential containers."""
    for child in module.children():
        fuse_conv_bn_pairs(child)
    if isinstance(module, nn.Sequential):
        names = [name for name, _ in module.named_children()]
        i = 0
        while i < len(names) - 1:
            a, b = module[i], module[i + 1]
            if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                group = [names[i], names[i + 1]]
                if i + 2 < len(names) and isinstance(module[i + 2], nn.ReLU):
                    group.append(names[i + 2])
                torch.ao.quantization.fuse_modules(module, group, inplace=True)
                i += len(group)
            else:
                i += 1
    return module


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", default="model.onnx")
    ap.add_argument("--height", type=int, default=512)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--torchscript", action="store_true")
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()

    cfg = get_config(args.config)
    model = build_model(cfg.model)
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu")["model"])
    model.eval()

    dummy = torch.randn(1, 3, args.height, args.width)
    with torch.no_grad():
        reference = model(dummy)

    torch.onnx.export(
        model, dummy, args.out,
        input_names=["image"], output_names=["logits"],
        dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch", 2: "height", 3: "width"}},
        opset_version=args.opset,
    )
    print(f"wrote {args.out}")

    if args.torchscript:
        fused = fuse_conv_bn_pairs(model)
        with torch.no_grad():
            diff = (fused(dummy) - reference).abs().max().item()
        print(f"max abs difference after conv-bn fusion: {diff:.2e}")
        traced = torch.jit.trace(fused, dummy)
        ts_path = os.path.splitext(args.out)[0] + ".torchscript.pt"
        traced.save(ts_path)
        print(f"wrote {ts_path}")


if __name__ == "__main__":
    main()
