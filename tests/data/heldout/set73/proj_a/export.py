"""Export the trained generator for the texture-synthesis plugin.

Either called at the end of train.py, or standalone on a checkpoint:
    python export.py runs/texgan/ckpt.pt --torchscript gen.ts
"""
import argparse
import json
from pathlib import Path

import torch

from models import NZ, Generator


def export_generator(gen, path, opset=17):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    gen.eval()
    device = next(gen.parameters()).device
    z = torch.randn(1, NZ, device=device)
    torch.onnx.export(
        gen, z, str(path),
        input_names=["z"], output_names=["image"],
        dynamic_axes={"z": {0: "batch"}, "image": {0: "batch"}},
        opset_version=opset,
    )
    return path


def load_generator(ckpt_path, device="cpu"):
    state = torch.load(ckpt_path, map_location=device)
    gen = Generator()
    gen.load_state_dict(state["gen"] if "gen" in state else state)
    return gen.to(device)


def write_metadata(path, batch, opset):
    meta = {
        "latent_dim": NZ,
        "output": [3, 64, 64],
        "value_range": [-1.0, 1.0],
        "example_batch": batch,
        "onnx_opset": opset,
    }
    Path(path).with_suffix(".json").write_text(json.dumps(meta, indent=2))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ckpt", type=Path)
    p.add_argument("--onnx", type=Path, default=None)
    p.add_argument("--torchscript", type=Path, default=None)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--opset", type=int, default=17)
    args = p.parse_args()

    gen = load_generator(args.ckpt)
    if args.torchscript is not None:
        z = torch.randn(args.batch, NZ)
        traced = torch.jit.trace(gen, z)  # expect: BN104
        args.torchscript.parent.mkdir(parents=True, exist_ok=True)
        traced.save(str(args.torchscript))
        write_metadata(args.torchscript, args.batch, None)
        print("wrote", args.torchscript)
    if args.onnx is not None:
        print("wrote", export_generator(gen, args.onnx, opset=args.opset))
        write_metadata(args.onnx, args.batch, args.opset)


if __name__ == "__main__":
    main()
