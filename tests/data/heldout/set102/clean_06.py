# A: "Your model is still in training mode when you export it (a freshly constructed
# module is in train mode, load_state_dict doesn't change that). BatchNorm then uses
# batch statistics and Dropout is active in the graph you export. Call model.eval()
# *before* torch.onnx.export / torch.jit.trace, not after."
#
# Fixed export script. Also folds BN into the convs for the TorchScript version.

import argparse
import copy

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


class SmallNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(64, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def fold_bn(model):
    """returns a copy with every Conv2d+BatchNorm2d pair in `features` folded"""
    fused = copy.deepcopy(model)
    layers = list(fused.features)
    out = []
    i = 0
    while i < len(layers):
        if isinstance(layers[i], nn.Conv2d) and i + 1 < len(layers) and isinstance(layers[i + 1], nn.BatchNorm2d):
            out.append(fuse_conv_bn_eval(layers[i], layers[i + 1]))
            i += 2
        else:
            out.append(layers[i])
            i += 1
    fused.features = nn.Sequential(*out)
    return fused


def to_numpy(t):
    return t.detach().cpu().numpy()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default="checkpoints/best.pth")
    parser.add_argument("--output", default="smallnet.onnx")
    parser.add_argument("--num-classes", type=int, default=5)
    args = parser.parse_args()

    model = SmallNet(num_classes=args.num_classes)
    state = torch.load(args.checkpoint, map_location="cpu")
    model.load_state_dict(state["model"])
    model.eval()

    dummy_input = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        torch.onnx.export(model, dummy_input, args.output, input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)
    onnx.checker.check_model(onnx.load(args.output))

    fused = fold_bn(model)
    traced = torch.jit.trace(fused, dummy_input)
    traced.save("smallnet_fused.pt")

    # ---- compare (batch of 1 and batch of 4 must both match) ----
    sess = ort.InferenceSession(args.output, providers=["CPUExecutionProvider"])
    for bs in (1, 4):
        x = torch.randn(bs, 3, 224, 224)
        with torch.no_grad():
            torch_out = model(x)
            ts_out = traced(x)
        ort_out = sess.run(None, {"input": to_numpy(x)})[0]
        np.testing.assert_allclose(to_numpy(torch_out), ort_out, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(to_numpy(torch_out), to_numpy(ts_out), rtol=1e-3, atol=1e-5)
        print(f"batch {bs}: max abs diff {np.abs(to_numpy(torch_out) - ort_out).max():.2e}")
    print("ONNX, TorchScript and PyTorch outputs match")


if __name__ == "__main__":
    main()
