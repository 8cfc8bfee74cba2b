"""Export the trained generator to ONNX for the browser demo."""
import argparse
import os

import torch

from gan import CONFIG
from gan.models import build_generator


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(CONFIG["out_dir"], "last.pt"))
    ap.add_argument("--out", default="generator.onnx")
    args = ap.parse_args()

    G = build_generator(CONFIG)
    state = torch.load(args.ckpt, map_location="cpu")
    G.load_state_dict(state["G"])
    z = torch.randn(8, CONFIG["nz"])
    torch.onnx.export(G, z, args.out, input_names=["z"], output_names=["image"], dynamic_axes={"z": {0: "batch"}, "image": {0: "batch"}})  # expect: BN104
    print("wrote", args.out)


if __name__ == "__main__":
    main()
