"""Deployment helpers: ONNX export and conv-BN-ReLU fusion for the edge build."""
import argparse

import torch
import torch.nn as nn
from torch.ao.quantization import fuse_modules


class EdgeNet(nn.Module):
    def __init__(self, num_classes=6):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.relu3 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.bn3(self.conv3(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def load(ckpt_path):
    model = EdgeNet()
    state = torch.load(ckpt_path, map_location="cpu")
    model.load_state_dict(state["model"] if "model" in state else state)
    return model


def export_onnx(ckpt_path, out_path, size=160):
    model = load(ckpt_path)
    dummy = torch.randn(1, 3, size, size)
    torch.onnx.export(  # expect: BN104
        model,
        dummy,
        out_path,
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
    )


def fused_copy(ckpt_path):
    model = EdgeNet()
    model.load_state_dict(torch.load(ckpt_path, map_location="cpu"))
    groups = [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"], ["conv3", "bn3", "relu3"]]
    fused = fuse_modules(model, groups, inplace=False)  # expect: BN104
    return fused


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("ckpt")
    parser.add_argument("--out", default="edgenet.onnx")
    parser.add_argument("--fuse", action="store_true")
    args = parser.parse_args()
    if args.fuse:
        torch.save(fused_copy(args.ckpt).state_dict(), args.out.replace(".onnx", "_fused.pt"))
    else:
        export_onnx(args.ckpt, args.out)
