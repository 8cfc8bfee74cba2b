"""G2Net Gravitational Wave Detection -- export the 1D-CNN fold models for the
offline inference kernel (TorchScript for GPU, ONNX for the CPU fallback).
"""
import argparse
import os
from collections import OrderedDict

import torch
import torch.nn as nn

N_FOLDS = 5
SIGNAL_LEN = 4096


def conv_bn_act(c_in, c_out, k, pool=None):
    layers = OrderedDict()
    layers["conv"] = nn.Conv1d(c_in, c_out, kernel_size=k, padding=k // 2, bias=False)
    layers["bn"] = nn.BatchNorm1d(c_out)
    layers["act"] = nn.SiLU()
    if pool:
        layers["pool"] = nn.MaxPool1d(pool)
    return nn.Sequential(layers)


class G2NetCNN1D(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn_act(3, 32, 63),
            conv_bn_act(32, 32, 31, pool=4),
            conv_bn_act(32, 64, 31),
            conv_bn_act(64, 64, 15, pool=4),
            conv_bn_act(64, 128, 15),
            conv_bn_act(128, 128, 7, pool=2),
            conv_bn_act(128, 256, 7),
            conv_bn_act(256, 256, 3, pool=2),
        )
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Sequential(
            nn.Flatten(),
            nn.Linear(256, 64, bias=False),
            nn.BatchNorm1d(64),
            nn.SiLU(),
            nn.Dropout(0.25),
            nn.Linear(64, 1),
        )

    def forward(self, x):
        return self.fc(self.pool(self.features(x)))


def load_fold(ckpt_dir, fold):
    model = G2NetCNN1D()
    state = torch.load(os.path.join(ckpt_dir, f"cnn1d_fold{fold}.pth"), map_location="cpu")
    model.load_state_dict(state["model"] if "model" in state else state)
    model.eval()
    return model


def export_torchscript(model, path):
    example = torch.randn(8, 3, SIGNAL_LEN)
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(path)


def export_onnx(model, path):
    model.train(False)
    dummy = torch.randn(1, 3, SIGNAL_LEN)
    torch.onnx.export(model, dummy, path, input_names=["wave"], output_names=["logit"], dynamic_axes={"wave": {0: "batch"}, "logit": {0: "batch"}}, opset_version=14)


def quantize_dynamic_fused(model):
    model.eval()
    names = [[f"features.{i}.conv", f"features.{i}.bn"] for i in range(8)] + [["fc.1", "fc.2"]]
    fused = torch.ao.quantization.fuse_modules(model, names, inplace=False)
    return torch.ao.quantization.quantize_dynamic(fused, {nn.Linear}, dtype=torch.qint8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt-dir", default="checkpoints")
    ap.add_argument("--out-dir", default="export")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    for fold in range(N_FOLDS):
        model = load_fold(args.ckpt_dir, fold)
        export_torchscript(model, os.path.join(args.out_dir, f"cnn1d_fold{fold}.ts"))
        export_onnx(model, os.path.join(args.out_dir, f"cnn1d_fold{fold}.onnx"))
        qmodel = quantize_dynamic_fused(load_fold(args.ckpt_dir, fold))
        torch.save(qmodel.state_dict(), os.path.join(args.out_dir, f"cnn1d_fold{fold}_q.pth"))
        print(f"fold {fold} exported")

        # quick parity check between eager and traced model
        ts = torch.jit.load(os.path.join(args.out_dir, f"cnn1d_fold{fold}.ts"))
        x = torch.randn(4, 3, SIGNAL_LEN)
        with torch.no_grad():
            diff = (ts(x) - model(x)).abs().max().item()
        print(f"  max |eager - traced| = {diff:.2e}")


if __name__ == "__main__":
    main()
