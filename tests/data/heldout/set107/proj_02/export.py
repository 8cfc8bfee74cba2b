"""python export.py --ckpt runs/shelf/best.pt --out-dir dist/"""
import argparse
import logging
from pathlib import Path

import torch

from deploy.checkpoint import load_model
from deploy.exporters import export_onnx, export_program, export_torchscript


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", required=True)
    parser.add_argument("--out-dir", type=Path, default=Path("dist"))
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)

    model = load_model(args.ckpt)
    example = torch.randn(2, 3, args.size, args.size)
    args.out_dir.mkdir(parents=True, exist_ok=True)

    export_onnx(model, example, args.out_dir / "shelf.onnx")
    export_program(model, example, args.out_dir / "shelf.pt2")
    export_torchscript(model, example, args.out_dir / "shelf.torchscript")

    traced = torch.jit.trace(model, example)
    with torch.no_grad():
        err = (traced(example) - model(example)).abs().max().item()
    logging.info("torchscript max abs err %.2e; artifacts in %s", err, args.out_dir)


if __name__ == "__main__":
    main()
