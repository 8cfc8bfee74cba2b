"""export.py -- turn a training checkpoint into deployable artefacts.

    python export.py runs/exp12/last.ckpt --arch resnet34 --num-classes 7 --onnx --torchscript
"""
import argparse
import hashlib
import os

import numpy as np
import torch
import torch.nn as nn
from torchvision import models


def load_for_inference(ckpt_path: str, arch: str = "resnet34", num_classes: int = 7) -> nn.Module:
    """Build the architecture, load weights and return the model ready for inference."""
    model = getattr(models, arch)(weights=None)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    ckpt = torch.load(ckpt_path, map_location="cpu")
    state_dict = ckpt["state_dict"] if "state_dict" in ckpt else ckpt
    state_dict = {k.removeprefix("model."): v for k, v in state_dict.items()}
    model.load_state_dict(state_dict)
    model.eval()
    return model


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def check_onnx(path, example, reference):
    import onnxruntime as ort

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    out = sess.run(None, {"input": example.numpy()})[0]
    err = np.abs(out - reference.numpy()).max()
    print(f"  onnxruntime max abs diff: {err:.2e}")
    assert err < 1e-3, "ONNX output differs from PyTorch"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--arch", default="resnet34")
    ap.add_argument("--num-classes", type=int, default=7)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--onnx", action="store_true")
    ap.add_argument("--torchscript", action="store_true")
    ap.add_argument("--out", default="export")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    model = load_for_inference(args.ckpt, args.arch, args.num_classes)
    example = torch.randn(2, 3, args.size, args.size)
    with torch.no_grad():
        reference = model(example)

    if args.onnx:
        path = os.path.join(args.out, f"{args.arch}.onnx")
        torch.onnx.export(
            model, example, path,
            input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
            opset_version=17,
        )
        print(f"onnx -> {path} ({sha256(path)})")
        check_onnx(path, example, reference)

    if args.torchscript:
        path = os.path.join(args.out, f"{args.arch}.pt")
        with torch.no_grad():
            traced = torch.jit.trace(model, example)
        traced = torch.jit.freeze(traced)
        torch.testing.assert_close(traced(example), reference, rtol=1e-4, atol=1e-4)
        traced.save(path)
        print(f"torchscript -> {path} ({sha256(path)})")


if __name__ == "__main__":
    main()
