import argparse

import torch

from config import TrainConfig
from models import build_model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", default="runs/last.pth")
    parser.add_argument("--onnx", default="resnet_cifar.onnx")
    parser.add_argument("--torchscript", default="resnet_cifar.ts")
    args = parser.parse_args()

    cfg = TrainConfig()
    model = build_model(cfg)
    state = torch.load(args.ckpt, map_location="cpu")["model"]
    model.load_state_dict(state)
    model.eval()

    example = torch.randn(1, 3, 32, 32)
    traced = torch.jit.trace(model, example)
    traced.save(args.torchscript)
    torch.onnx.export(model, example, args.onnx, input_names=["image"], output_names=["logits"], dynamic_axes={"image": {0: "n"}}, opset_version=17)

    with torch.no_grad():
        ref = model(example)
        out = traced(example)
    print("max diff torchscript vs eager:", (ref - out).abs().max().item())


if __name__ == "__main__":
    main()
