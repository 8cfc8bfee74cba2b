"""Export a trained KWS model to ONNX for the on-device runtime.

    python export.py runs/kws/best.pt
"""
from __future__ import annotations

import argparse
import os

import torch

from config import CFG, N_MELS, NUM_FRAMES
from models import build_model


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("--out", default=CFG["export"]["output"])
    p.add_argument("--opset", type=int, default=CFG["export"]["opset"])
    p.add_argument("--dynamic-batch", action="store_true")
    return p.parse_args()


def restore(path: str) -> torch.nn.Module:
    model = build_model(CFG["model"])
    ckpt = torch.load(path, map_location="cpu")
    missing, unexpected = model.load_state_dict(ckpt["model"], strict=False)
    if missing or unexpected:
        raise RuntimeError(f"checkpoint mismatch: missing={missing} unexpected={unexpected}")
    return model


def main() -> None:
    args = parse_args()
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    model = restore(args.checkpoint)
    dummy = torch.randn(1, N_MELS, NUM_FRAMES)
    dynamic_axes = {"mfcc": {0: "batch"}, "logits": {0: "batch"}} if args.dynamic_batch else None
    torch.onnx.export(model, dummy, args.out, input_names=["mfcc"], output_names=["logits"], dynamic_axes=dynamic_axes, opset_version=args.opset)  # expect: BN104
    size_kb = os.path.getsize(args.out) / 1024
    print(f"wrote {args.out} ({size_kb:.1f} KiB), opset {args.opset}")


if __name__ == "__main__":
    main()
