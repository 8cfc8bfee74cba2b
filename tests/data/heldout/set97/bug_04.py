"""Export the trained MobileNet-lite classifier for the serving team.

Produces:
    <out>/classifier.onnx        (ONNX, dynamic batch)
    <out>/classifier.ts          (TorchScript via tracing, for the C++ runtime)
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import torch
import torch.nn as nn

log = logging.getLogger("export")

NUM_CLASSES = 120
IMG_SIZE = 224


class DepthwiseSeparable(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__()
        self.dw = nn.Conv2d(in_ch, in_ch, 3, stride=stride, padding=1, groups=in_ch, bias=False)
        self.bn1 = nn.BatchNorm2d(in_ch)
        self.pw = nn.Conv2d(in_ch, out_ch, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch, 0.1)  # expect: BN206
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.bn1(self.dw(x)))
        return self.act(self.bn2(self.pw(x)))


class MobileNetLite(nn.Module):
    CFG: list[tuple[int, int]] = [
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (1024, 2),
    ]

    def __init__(self, num_classes: int = NUM_CLASSES, width: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(3, width, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU6(inplace=True),
        ]
        in_ch = width
        for out_ch, stride in self.CFG:
            layers.append(DepthwiseSeparable(in_ch, out_ch, stride))
            in_ch = out_ch
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.classifier = nn.Linear(in_ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.features(x)).flatten(1)
        return self.classifier(self.dropout(x))


def load_checkpoint(path: Path) -> MobileNetLite:
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = MobileNetLite(num_classes=state.get("num_classes", NUM_CLASSES))
    missing, unexpected = model.load_state_dict(state["model"], strict=False)
    if missing or unexpected:
        log.warning("missing=%s unexpected=%s", missing, unexpected)
    return model


def export(ckpt: Path, out_dir: Path, opset: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    model = load_checkpoint(ckpt)
    dummy = torch.randn(2, 3, IMG_SIZE, IMG_SIZE)

    onnx_path = out_dir / "classifier.onnx"
    torch.onnx.export(  # expect: BN104
        model,
        (dummy,),
        str(onnx_path),
        input_names=["images"],
        output_names=["logits"],
        dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=opset,
        do_constant_folding=True,
    )
    log.info("wrote %s", onnx_path)

    traced = torch.jit.trace(model, dummy)  # expect: BN104
    ts_path = out_dir / "classifier.ts"
    traced.save(str(ts_path))
    log.info("wrote %s", ts_path)

    meta = {
        "input_size": [3, IMG_SIZE, IMG_SIZE],
        "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225],
        "opset": opset,
        "source_checkpoint": ckpt.name,
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--out", type=Path, default=Path("exported"))
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args()
    export(args.checkpoint, args.out, args.opset)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    main()
