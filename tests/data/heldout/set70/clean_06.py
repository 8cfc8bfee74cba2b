"""ONNX output differs from PyTorch output (max abs diff ~0.8)

I export my MobileNetV1 (trained weights) to ONNX and compare with onnxruntime
on the same random input. np.testing.assert_allclose fails with a huge
difference, and the PyTorch logits change if I change the dummy batch size
while the ONNX ones don't. torch 2.1.0, onnx 1.15, onnxruntime 1.16, opset 17.

EDIT: solved - call model.eval() before exporting and before the reference run.
"""
import argparse

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn


def conv_bn(inp, oup, stride):
    return nn.Sequential(
        nn.Conv2d(inp, oup, 3, stride, 1, bias=False),
        nn.BatchNorm2d(oup),
        nn.ReLU6(inplace=True),
    )


def conv_dw(inp, oup, stride):
    return nn.Sequential(
        nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False),
        nn.BatchNorm2d(inp),
        nn.ReLU6(inplace=True),
        nn.Conv2d(inp, oup, 1, 1, 0, bias=False),
        nn.BatchNorm2d(oup),
        nn.ReLU6(inplace=True),
    )


class MobileNetV1(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 32, 2),
            conv_dw(32, 64, 1),
            conv_dw(64, 128, 2),
            conv_dw(128, 128, 1),
            conv_dw(128, 256, 2),
            conv_dw(256, 256, 1),
            conv_dw(256, 512, 2),
            conv_dw(512, 512, 1),
            conv_dw(512, 1024, 2),
            conv_dw(1024, 1024, 1),
            nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default="mobilenet_v1_flowers.pth")
    parser.add_argument("--num-classes", type=int, default=102)
    parser.add_argument("--output", default="mobilenet_v1.onnx")
    args = parser.parse_args()

    model = MobileNetV1(num_classes=args.num_classes)
    ckpt = torch.load(args.weights, map_location="cpu")
    model.load_state_dict(ckpt["state_dict"])
    model.eval()

    dummy = torch.randn(4, 3, 224, 224)
    torch.onnx.export(model, dummy, args.output, input_names=["input"], output_names=["logits"])
    print("exported", args.output)

    with torch.no_grad():
        torch_out = model(dummy).numpy()

    sess = ort.InferenceSession(args.output, providers=["CPUExecutionProvider"])
    onnx_out = sess.run(None, {"input": dummy.numpy()})[0]

    print("torch :", torch_out[0, :5])
    print("onnx  :", onnx_out[0, :5])
    print("max abs diff:", np.abs(torch_out - onnx_out).max())
    np.testing.assert_allclose(torch_out, onnx_out, rtol=1e-3, atol=1e-5)
    print("outputs match")


if __name__ == "__main__":
    main()
