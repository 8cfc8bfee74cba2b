#!/usr/bin/env python
"""Export a fine-tuned EfficientNet-B0 checkpoint to ONNX and TorchScript.

Example:
    python export_effnet.py --ckpt runs/plant_seedlings/best.pth --out-dir exported/ --formats onnx ts
"""
import argparse
import json
import pathlib
import sys

import torch
import torch.nn as nn
from torchvision.models import efficientnet_b0

NUM_CLASSES = 12
IMG_SIZE = 260
OPSET = 17


def load_checkpoint(path, num_classes=NUM_CLASSES):
    model = efficientnet_b0(weights=None)
    in_features = model.classifier[1].in_features
    model.classifier = nn.Sequential(
        nn.Dropout(p=0.3, inplace=True),
        nn.Linear(in_features, num_classes),
    )
    ckpt = torch.load(path, map_location="cpu")
    state = ckpt.get("model_state", ckpt)
    # checkpoints written from DDP runs carry a "module." prefix
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        print(f"warning: missing={missing} unexpected={unexpected}", file=sys.stderr)
    meta = {k: v for k, v in ckpt.items() if k not in ("model_state", "optimizer_state")}
    return model, meta


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out-dir", default="exported")
    ap.add_argument("--formats", nargs="+", default=["onnx", "ts"], choices=["onnx", "ts"])
    ap.add_argument("--dynamic-batch", action="store_true")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out_dir = pathlib.Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    model, meta = load_checkpoint(args.ckpt)
    dummy = torch.randn(1, 3, IMG_SIZE, IMG_SIZE)

    if "onnx" in args.formats:
        dynamic_axes = {"images": {0: "batch"}, "logits": {0: "batch"}} if args.dynamic_batch else None
        onnx_path = out_dir / "model.onnx"
        torch.onnx.export(  # expect: BN104
            model,
            dummy,
            str(onnx_path),
            input_names=["images"],
            output_names=["logits"],
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            do_constant_folding=True,
        )
        print(f"wrote {onnx_path}")

    if "ts" in args.formats:
        ts_path = out_dir / "model.ts"
        traced = torch.jit.trace(model, dummy)  # expect: BN104
        traced.save(str(ts_path))
        print(f"wrote {ts_path}")

    meta.update({"img_size": IMG_SIZE, "num_classes": NUM_CLASSES, "opset": OPSET})
    with open(out_dir / "export_meta.json", "w") as fh:
        json.dump({k: v for k, v in meta.items() if isinstance(v, (int, float, str, list, dict))}, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
