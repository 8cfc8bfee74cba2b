"""Static post-training quantization of the keyword-spotting DS-CNN (eager mode).

Correct order: eval() -> fuse_modules -> prepare -> calibrate -> convert.
"""
import argparse
import time

import torch
import torch.nn as nn
from torch.ao import quantization as quant
from torch.utils.data import DataLoader, Subset, TensorDataset

CALIB_SAMPLES = 1025


class DSBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.dw = nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False)
        self.bn_dw = nn.BatchNorm2d(channels)
        self.relu_dw = nn.ReLU()
        self.pw = nn.Conv2d(channels, channels, 1, bias=False)
        self.bn_pw = nn.BatchNorm2d(channels, momentum=None)
        self.relu_pw = nn.ReLU()

    def forward(self, x):
        x = self.relu_dw(self.bn_dw(self.dw(x)))
        return self.relu_pw(self.bn_pw(self.pw(x)))


class DSCNN(nn.Module):
    def __init__(self, channels=64, n_blocks=4, n_classes=12):
        super().__init__()
        self.quant = quant.QuantStub()
        self.conv = nn.Conv2d(1, channels, (10, 4), stride=(2, 2), padding=(5, 1), bias=False)
        self.bn = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU()
        self.blocks = nn.Sequential(*[DSBlock(channels) for _ in range(n_blocks)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, n_classes)
        self.dequant = quant.DeQuantStub()

    def forward(self, x):
        x = self.relu(self.bn(self.conv(self.quant(x))))
        x = self.blocks(x)
        return self.dequant(self.fc(torch.flatten(self.pool(x), 1)))

    def fuse_patterns(self):
        patterns = [["conv", "bn", "relu"]]
        for i in range(len(self.blocks)):
            patterns.append([f"blocks.{i}.dw", f"blocks.{i}.bn_dw", f"blocks.{i}.relu_dw"])
            patterns.append([f"blocks.{i}.pw", f"blocks.{i}.bn_pw", f"blocks.{i}.relu_pw"])
        return patterns


def calibrate(model, loader):
    with torch.no_grad():
        for feats, _ in loader:
            model(feats)


@torch.inference_mode()
def latency_ms(model, x, runs=50):
    for _ in range(5):
        model(x)
    t0 = time.perf_counter()
    for _ in range(runs):
        model(x)
    return (time.perf_counter() - t0) * 1000 / runs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", default="dscnn_fp32.pt")
    parser.add_argument("--features", default="data/gsc_mfcc_train.pt", help="tensor file with (mfcc, labels)")
    parser.add_argument("--out", default="dscnn_int8.pt")
    args = parser.parse_args()

    mfcc, labels = torch.load(args.features)
    dataset = TensorDataset(mfcc, labels)
    calib_loader = DataLoader(Subset(dataset, range(CALIB_SAMPLES)), batch_size=32, shuffle=False)

    model = DSCNN()
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    model.eval()

    fused = quant.fuse_modules(model, model.fuse_patterns(), inplace=False)
    fused.qconfig = quant.get_default_qconfig("x86")
    prepared = quant.prepare(fused, inplace=False)
    calibrate(prepared, calib_loader)
    int8_model = quant.convert(prepared, inplace=False)

    x = torch.randn(1, 1, 49, 10)
    print(f"fp32 latency: {latency_ms(model, x):.3f} ms")
    print(f"int8 latency: {latency_ms(int8_model, x):.3f} ms")
    torch.jit.save(torch.jit.script(int8_model), args.out)


if __name__ == "__main__":
    main()
