"""Deployment helpers: ONNX / TorchScript / torch.export, eager fusion and QAT."""
import argparse

import torch
import torch.nn as nn
from torch.ao.quantization import (convert, fuse_modules, fuse_modules_qat,
                                   get_default_qat_qconfig, prepare_qat)


class EdgeNet(nn.Module):
    def __init__(self, num_classes=6):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        return self.dequant(self.fc(torch.flatten(self.pool(x), 1)))


GROUPS = [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"]]


def load(ckpt_path):
    model = EdgeNet()
    model.load_state_dict(torch.load(ckpt_path, map_location="cpu"))
    return model


def export_all(ckpt_path, out_prefix, half=False):
    model = load(ckpt_path)
    if half:
        model = model.half()
        model.eval()
        dummy = torch.randn(1, 3, 160, 160, dtype=torch.float16)
    else:
        model.eval()
        dummy = torch.randn(1, 3, 160, 160)
    torch.onnx.export(model, dummy, f"{out_prefix}.onnx", opset_version=17,
                      input_names=["image"], output_names=["logits"])
    torch.jit.trace(model, dummy).save(f"{out_prefix}.ts")
    program = torch.export.export(model, (dummy,))
    torch.export.save(program, f"{out_prefix}.pt2")


def fused_copy(ckpt_path):
    model = load(ckpt_path).eval()
    return fuse_modules(model, GROUPS, inplace=False)


def quantization_aware_finetune(ckpt_path, loader, steps=1000):
    model = load(ckpt_path)
    model.train()                                   # QAT fusion requires training mode
    model = fuse_modules_qat(model, GROUPS)
    model.qconfig = get_default_qat_qconfig("fbgemm")
    prepare_qat(model, inplace=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    for step, (x, y) in enumerate(loader):
        if step == steps:
            break
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    model.eval()
    return convert(model)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("ckpt")
    parser.add_argument("--out", default="edgenet")
    parser.add_argument("--half", action="store_true")
    args = parser.parse_args()
    export_all(args.ckpt, args.out, half=args.half)
