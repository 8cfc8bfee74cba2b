#!/usr/bin/env python3
"""Export the keyword-spotting CNN to ONNX for the on-device runtime.

    python export_kws_onnx.py --checkpoint runs/kws/best.pt --output kws.onnx
"""
import argparse
import logging
from pathlib import Path

import onnx
import torch
import torch.nn as nn

log = logging.getLogger("export_kws")

KEYWORDS = ["yes", "no", "up", "down", "left", "right", "on", "off",
            "stop", "go", "_silence_", "_unknown_"]


class ConvBNReLU(nn.Sequential):
    def __init__(self, cin, cout, stride=1):
        super().__init__(
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class KWSNet(nn.Module):
    """Small residual CNN over log-mel spectrograms (N, 1, n_mels, frames)."""

    def __init__(self, num_classes=len(KEYWORDS), width=64):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, width, (5, 3), padding=(2, 1)),  # expect: BN204
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        self.block1 = nn.Sequential(ConvBNReLU(width, width), ConvBNReLU(width, width))
        self.down = ConvBNReLU(width, 2 * width, stride=2)
        self.block2 = nn.Sequential(ConvBNReLU(2 * width, 2 * width), ConvBNReLU(2 * width, 2 * width))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(2 * width, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.block1(x)
        x = self.down(x)
        x = x + self.block2(x)
        x = self.pool(x).flatten(1)
        return self.fc(self.dropout(x))


def load_checkpoint(model, path):
    ckpt = torch.load(path, map_location="cpu")
    state = ckpt.get("model", ckpt)
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    model.load_state_dict(state)
    epoch = ckpt.get("epoch", "?")
    acc = ckpt.get("val_acc", float("nan"))
    log.info("loaded %s (epoch %s, val_acc %.4f)", path, epoch, acc)
    return model


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--output", default="kws.onnx")
    p.add_argument("--n-mels", type=int, default=40)
    p.add_argument("--frames", type=int, default=101)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--dynamic-batch", action="store_true")
    return p.parse_args()


def main():
    logging.basicConfig(level=logging.INFO)
    args = parse_args()

    model = KWSNet(width=args.width)
    model = load_checkpoint(model, args.checkpoint)

    dummy = torch.randn(1, 1, args.n_mels, args.frames)
    dynamic_axes = {"mel": {0: "batch"}, "logits": {0: "batch"}} if args.dynamic_batch else None

    out_path = Path(args.output)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(  # expect: BN104
        model,
        dummy,
        str(out_path),
        input_names=["mel"],
        output_names=["logits"],
        dynamic_axes=dynamic_axes,
        opset_version=args.opset,
        do_constant_folding=True,
    )

    onnx_model = onnx.load(str(out_path))
    onnx.checker.check_model(onnx_model)
    meta = onnx_model.metadata_props.add()
    meta.key = "labels"
    meta.value = ",".join(KEYWORDS)
    onnx.save(onnx_model, str(out_path))
    log.info("wrote %s (%d nodes)", out_path, len(onnx_model.graph.node))


if __name__ == "__main__":
    main()
