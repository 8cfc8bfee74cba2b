"""Deployment exports for a keyword-spotting model: ONNX (server),
TorchScript (mobile), fused + int8 post-training quantised model (MCU
simulator) and a torch.export program for the compiler team.
"""
import argparse
import copy
from pathlib import Path

import torch
import torch.nn as nn
from torch.ao.quantization import DeQuantStub, QuantStub, convert, fuse_modules, get_default_qconfig, prepare

N_MELS = 40
FRAMES = 98


class DSBlock(nn.Module):
    """Depthwise-separable conv block (conv/bn/relu names kept fusable)."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False)
        self.dw_bn = nn.BatchNorm2d(cin)
        self.dw_relu = nn.ReLU()
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(cout)
        self.pw_relu = nn.ReLU()

    def forward(self, x):
        x = self.dw_relu(self.dw_bn(self.dw(x)))
        return self.pw_relu(self.pw_bn(self.pw(x)))


class KWSNet(nn.Module):
    def __init__(self, n_keywords=12, width=64):
        super().__init__()
        self.quant = QuantStub()
        self.conv = nn.Conv2d(1, width, (10, 4), stride=(2, 2), padding=(5, 1), bias=False)
        self.bn = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.blocks = nn.Sequential(*[DSBlock(width, width) for _ in range(4)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, n_keywords)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu(self.bn(self.conv(x)))
        x = self.pool(self.blocks(x)).flatten(1)
        return self.dequant(self.fc(x))


def prepare_for_export(ckpt_path):
    model = KWSNet()
    model.load_state_dict(torch.load(ckpt_path, map_location="cpu"))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def fused_copy(model):
    fused = copy.deepcopy(model)
    groups = [["conv", "bn", "relu"]]
    for i in range(len(fused.blocks)):
        groups.append([f"blocks.{i}.dw", f"blocks.{i}.dw_bn", f"blocks.{i}.dw_relu"])
        groups.append([f"blocks.{i}.pw", f"blocks.{i}.pw_bn", f"blocks.{i}.pw_relu"])
    return fuse_modules(fused, groups)


def quantize(model, calib_batches):
    fused = fused_copy(model)
    fused.qconfig = get_default_qconfig("qnnpack")
    prepared = prepare(fused)
    with torch.no_grad():
        for x in calib_batches:
            prepared(x)
    return convert(prepared)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", default="runs/kws/best.pt")
    parser.add_argument("--out", default="export/kws")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    model = prepare_for_export(args.ckpt)
    example = torch.randn(1, 1, N_MELS, FRAMES)

    torch.onnx.export(
        model, example, str(out / "kws.onnx"),
        input_names=["mfcc"], output_names=["logits"],
        dynamic_axes={"mfcc": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
    )

    traced = torch.jit.trace(model, example)
    traced.save(str(out / "kws_mobile.pt"))

    program = torch.export.export(model, (example,))
    torch.export.save(program, str(out / "kws.pt2"))

    torch.backends.quantized.engine = "qnnpack"
    calib = [torch.randn(8, 1, N_MELS, FRAMES) for _ in range(16)]
    qmodel = quantize(model, calib)
    torch.jit.save(torch.jit.script(qmodel), str(out / "kws_int8.pt"))

    with torch.no_grad():
        ref = model(example)
        err = (fused_copy(model)(example) - ref).abs().max().item()
    print(f"fusion max abs error: {err:.2e}")


if __name__ == "__main__":
    main()
