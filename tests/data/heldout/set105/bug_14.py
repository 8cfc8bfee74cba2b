#!/usr/bin/env python3
"""Export the fine-tuned MobileNetV2 defect classifier to ONNX and check it
against onnxruntime before shipping it to the edge box."""
import argparse
import sys

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
import torchvision

CLASS_NAMES = ("ok", "scratch", "dent", "stain")


def build_model(num_classes=len(CLASS_NAMES)):
    m = torchvision.models.mobilenet_v2(weights=None)
    m.classifier = nn.Sequential(
        nn.Dropout(0.2),
        nn.Linear(m.last_channel, num_classes),
    )
    return m


def load_checkpoint(model, path):
    ckpt = torch.load(path, map_location="cpu")
    state = ckpt.get("model_state", ckpt)
    state = {k.replace("module.", "", 1): v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        print("missing:", missing, "unexpected:", unexpected, file=sys.stderr)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="runs/defects/mnv2_best.pth")
    ap.add_argument("--onnx", default="defects_mnv2.onnx")
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()

    model = load_checkpoint(build_model(), args.ckpt)
    dummy = torch.randn(2, 3, args.size, args.size)

    torch.onnx.export(model, dummy, args.onnx, input_names=["images"], output_names=["logits"], dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}}, opset_version=args.opset)  # expect: BN104
    print(f"exported {args.onnx}")

    # parity check torch vs onnxruntime
    with torch.no_grad():
        ref = model(dummy).numpy()  # expect: BN101
    sess = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
    got = sess.run(["logits"], {"images": dummy.numpy()})[0]
    err = np.abs(ref - got).max()
    print(f"max abs diff: {err:.2e}")
    if err > 1e-3:
        sys.exit("ONNX output does not match PyTorch output")


if __name__ == "__main__":
    main()
