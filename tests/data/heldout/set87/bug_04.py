"""Post-training static quantization of the defect classifier for the edge box (x86, fbgemm).

Steps: load fp32 weights -> fuse conv/bn/relu -> insert observers -> calibrate on a few
hundred training crops -> convert -> save TorchScript.
"""
import argparse
import os
import time

import torch
import torch.nn as nn
from torch.ao.quantization import (
    DeQuantStub,
    QuantStub,
    convert,
    fuse_modules,
    get_default_qconfig,
    prepare,
)
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class ConvBNReLU(nn.Sequential):
    def __init__(self, cin, cout, stride=1):
        super().__init__(
            nn.Conv2d(cin, cout, 3, stride, 1),  # expect: BN204
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=False),
        )


class DefectNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.quant = QuantStub()
        self.features = nn.Sequential(
            ConvBNReLU(1, 32, stride=2),
            ConvBNReLU(32, 64, stride=2),
            ConvBNReLU(64, 128, stride=2),
            ConvBNReLU(128, 128, stride=1),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, num_classes)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.features(x)
        x = self.pool(x).flatten(1)
        x = self.fc(x)
        return self.dequant(x)


def calibration_loader(root, n_batches=16, batch_size=32):
    tf = transforms.Compose([
        transforms.Grayscale(),
        transforms.Resize((128, 128)),
        transforms.ToTensor(),
        transforms.Normalize((0.5,), (0.5,)),
    ])
    ds = datasets.ImageFolder(root, tf)
    subset = torch.utils.data.Subset(ds, list(range(min(len(ds), n_batches * batch_size))))
    return DataLoader(subset, batch_size=batch_size, shuffle=False, num_workers=2)


@torch.no_grad()
def calibrate(model, loader):
    for images, _ in loader:
        model(images)


def size_mb(model):
    torch.save(model.state_dict(), "/tmp/_q.pt")
    mb = os.path.getsize("/tmp/_q.pt") / 1e6
    os.remove("/tmp/_q.pt")
    return mb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="weights/defectnet_fp32.pth")
    ap.add_argument("--calib-dir", default="data/defects/train")
    ap.add_argument("--out", default="weights/defectnet_int8.ts")
    args = ap.parse_args()

    torch.backends.quantized.engine = "fbgemm"
    model = DefectNet(num_classes=4)
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    print(f"fp32 size: {size_mb(model):.2f} MB")

    to_fuse = [[f"features.{i}.0", f"features.{i}.1", f"features.{i}.2"] for i in range(4)]
    model = fuse_modules(model, to_fuse)  # expect: BN104
    model.eval()

    model.qconfig = get_default_qconfig("fbgemm")
    prepare(model, inplace=True)
    t0 = time.time()
    calibrate(model, calibration_loader(args.calib_dir))
    print(f"calibration took {time.time() - t0:.1f}s")
    convert(model, inplace=True)
    print(f"int8 size: {size_mb(model):.2f} MB")

    example = torch.randn(1, 1, 128, 128)
    scripted = torch.jit.trace(model, example)
    scripted.save(args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
