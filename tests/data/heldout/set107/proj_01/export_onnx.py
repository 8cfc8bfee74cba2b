"""Export a fine-tuned EdgeNet checkpoint to ONNX for the camera SoC toolchain."""
import argparse
import logging

import torch

from edgenet import EdgeNet
from edgenet.utils import load_weights

logger = logging.getLogger("export")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", default="ckpt/edgenet_smoke.pth")
    parser.add_argument("--out", default="edgenet.onnx")
    parser.add_argument("--img-size", type=int, default=96)
    parser.add_argument("--num-classes", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)

    model = EdgeNet(num_classes=args.num_classes)
    load_weights(model, args.ckpt)

    dummy = torch.randn(1, 3, args.img_size, args.img_size)
    torch.onnx.export(model, dummy, args.out, input_names=["frame"], output_names=["logits"], opset_version=13)  # expect: BN104
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
