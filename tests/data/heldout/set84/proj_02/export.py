"""Export the segmentation model to ONNX for the TensorRT deployment."""
import argparse

import torch

import configs as C
from models import DeepLabLite


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ckpt")
    p.add_argument("--out", default="deeplab_lite.onnx")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--size", type=int, default=C.CROP_SIZE)
    args = p.parse_args()

    model = DeepLabLite()
    state = torch.load(args.ckpt, map_location="cpu")
    model.load_state_dict(state)

    dummy = torch.randn(1, 3, args.size, args.size)
    torch.onnx.export(  # expect: BN104
        model,
        dummy,
        args.out,
        opset_version=args.opset,
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"},
                      "logits": {0: "batch", 2: "height", 3: "width"}},
        do_constant_folding=True,
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
