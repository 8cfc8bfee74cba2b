"""Export the pre-trained backbone (feature extractor) to ONNX for retrieval services.

    python tools/export.py --config simsiam_r18_cifar10 --ckpt work_dirs/simsiam_r18_cifar10/best.pth
"""
import argparse
import hashlib
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from configs import load_config  # noqa: E402
from models import build_model  # noqa: E402


def sha256(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", default="")
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()

    cfg = load_config(args.config)
    model = build_model(cfg)
    state = torch.load(args.ckpt, map_location="cpu")
    model.load_state_dict(state["model"])
    backbone = model.backbone

    size = cfg["data"]["image_size"]
    dummy = torch.randn(2, 3, size, size)
    out_path = args.out or os.path.splitext(args.ckpt)[0] + "_backbone.onnx"
    with torch.no_grad():
        torch.onnx.export(backbone, dummy, out_path, input_names=["image"], output_names=["embedding"], dynamic_axes={"image": {0: "batch"}, "embedding": {0: "batch"}}, opset_version=args.opset)  # expect: BN104

    meta = {
        "source_checkpoint": os.path.abspath(args.ckpt),
        "config": cfg["name"],
        "embedding_dim": backbone.out_dim,
        "input_size": size,
        "mean": list(cfg["data"]["mean"]),
        "std": list(cfg["data"]["std"]),
        "sha256": sha256(out_path),
    }
    with open(os.path.splitext(out_path)[0] + ".json", "w") as fh:
        json.dump(meta, fh, indent=2)
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
