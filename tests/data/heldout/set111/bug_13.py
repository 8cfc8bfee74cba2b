"""Rainforest / BirdCLEF CPU submission: int8 post-training quantization of the
mel-spectrogram CNN so that 5 folds fit into the 2h CPU inference limit.

usage: python quantize_melcnn.py --ckpt-dir ckpts/ --calib-dir calib_mels/
"""
import argparse
import glob
import os
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
from torch.ao.quantization import DeQuantStub, QuantStub

N_MELS = 128
NUM_CLASSES = 24


class MelCNN(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.quant = QuantStub()
        self.block1 = nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(1, 32, 3, padding=1, bias=False)),
            ("bn", nn.BatchNorm2d(32)),
            ("relu", nn.ReLU()),
            ("pool", nn.MaxPool2d(2)),
        ]))
        self.block2 = nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(32, 64, 3, padding=1, bias=False)),
            ("bn", nn.BatchNorm2d(32)),  # expect: BN201
            ("relu", nn.ReLU()),
            ("pool", nn.MaxPool2d(2)),
        ]))
        self.block3 = nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(64, 128, 3, padding=1, bias=False)),
            ("bn", nn.BatchNorm2d(128)),
            ("relu", nn.ReLU()),
            ("pool", nn.MaxPool2d(2)),
        ]))
        self.block4 = nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(128, 256, 3, padding=1, bias=False)),
            ("bn", nn.BatchNorm2d(256)),
            ("relu", nn.ReLU()),
        ]))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(256, num_classes)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.block4(self.block3(self.block2(self.block1(x))))
        x = self.fc(torch.flatten(self.gap(x), 1))
        return self.dequant(x)


FUSE_LIST = [[f"block{i}.conv", f"block{i}.bn", f"block{i}.relu"] for i in range(1, 5)]


def load_calibration(calib_dir, n=256):
    files = sorted(glob.glob(os.path.join(calib_dir, "*.npy")))[:n]
    return [torch.from_numpy(np.load(f).astype(np.float32))[None, None] for f in files]


def quantize_fold(ckpt_path, calib):
    model = MelCNN()
    model.load_state_dict(torch.load(ckpt_path, map_location="cpu"))
    fused = torch.ao.quantization.fuse_modules(model, FUSE_LIST, inplace=False)  # expect: BN104
    fused.eval()
    fused.qconfig = torch.ao.quantization.get_default_qconfig("fbgemm")
    prepared = torch.ao.quantization.prepare(fused, inplace=False)
    with torch.no_grad():
        for mel in calib:
            prepared(mel)
    return torch.ao.quantization.convert(prepared, inplace=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt-dir", default="ckpts")
    ap.add_argument("--calib-dir", default="calib_mels")
    ap.add_argument("--out-dir", default="quantized")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    torch.backends.quantized.engine = "fbgemm"
    calib = load_calibration(args.calib_dir)
    for fold in range(5):
        qmodel = quantize_fold(os.path.join(args.ckpt_dir, f"melcnn_fold{fold}.pth"), calib)
        scripted = torch.jit.script(qmodel)
        scripted.save(os.path.join(args.out_dir, f"melcnn_fold{fold}_int8.pt"))
        print(f"fold {fold}: saved int8 model")


if __name__ == "__main__":
    main()
