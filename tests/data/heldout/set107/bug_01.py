"""Export a trained CIFAR-10 classifier to ONNX.

Usage:
    python export_onnx.py --ckpt runs/exp3/best.pth --out artifacts/cifar10net.onnx --opset 17
"""
import argparse
import logging
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

logger = logging.getLogger("export_onnx")

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


class ConvBlock(nn.Module):
    """3x3 conv -> BN -> ReLU, optionally followed by 2x2 max pooling."""

    def __init__(self, in_ch, out_ch, pool=False):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        self.pool = nn.MaxPool2d(2) if pool else nn.Identity()

    def forward(self, x):
        return self.pool(F.relu(self.bn(self.conv(x)), inplace=True))


class Cifar10Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 32, kernel_size=3, padding=1)  # expect: BN204
        self.stem_bn = nn.BatchNorm2d(32)
        self.layer1 = ConvBlock(32, 64, pool=True)
        self.layer2 = ConvBlock(64, 128, pool=True)
        self.layer3 = ConvBlock(128, 256, pool=True)
        self.dropout = nn.Dropout(0.25)
        self.head = nn.Linear(256, num_classes)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)), inplace=True)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.head(self.dropout(x))


def strip_prefix(state_dict, prefix="module."):
    """Checkpoints saved from DataParallel/DDP carry a 'module.' prefix."""
    return {k[len(prefix):] if k.startswith(prefix) else k: v for k, v in state_dict.items()}


def parse_args():
    parser = argparse.ArgumentParser(description="Export Cifar10Net to ONNX")
    parser.add_argument("--ckpt", required=True, help="path to the training checkpoint")
    parser.add_argument("--out", default="cifar10net.onnx")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--num-classes", type=int, default=10)
    parser.add_argument("--dynamic-batch", action="store_true", help="export with a symbolic batch dimension")
    return parser.parse_args()


def main():
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    model = Cifar10Net(num_classes=args.num_classes)
    ckpt = torch.load(args.ckpt, map_location="cpu")
    state = ckpt["model"] if "model" in ckpt else ckpt
    missing, unexpected = model.load_state_dict(strip_prefix(state), strict=False)
    if missing or unexpected:
        logger.warning("missing keys: %s / unexpected keys: %s", missing, unexpected)
    logger.info("loaded checkpoint from %s (epoch %s)", args.ckpt, ckpt.get("epoch", "?"))

    dummy = torch.randn(1, 3, 32, 32)
    dynamic_axes = None
    if args.dynamic_batch:
        dynamic_axes = {"input": {0: "batch"}, "logits": {0: "batch"}}

    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)

    torch.onnx.export(model, dummy, args.out, input_names=["input"], output_names=["logits"], opset_version=args.opset, do_constant_folding=True, dynamic_axes=dynamic_axes)  # expect: BN104
    size_mb = os.path.getsize(args.out) / 2**20
    logger.info("wrote %s (%.2f MB), normalise inputs with mean=%s std=%s", args.out, size_mb, CIFAR_MEAN, CIFAR_STD)


if __name__ == "__main__":
    main()
