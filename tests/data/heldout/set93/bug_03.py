"""Deployment tooling for the MobileNetV2 image tagger.

    python bug_03.py onnx --checkpoint best.pt --out tagger.onnx
    python bug_03.py torchscript --checkpoint best.pt --out tagger.ts
    python bug_03.py bench --checkpoint best.pt
"""
from __future__ import annotations

import argparse
import logging
import os
import time
from functools import partial
from typing import Callable, List, Optional

import torch
import torch.nn as nn

log = logging.getLogger("deploy")
NormLayer = Callable[[int], nn.Module]


def _make_divisible(v: float, divisor: int = 8) -> int:
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class ConvNormActivation(nn.Sequential):
    def __init__(self, in_ch: int, out_ch: int, kernel_size: int = 3, stride: int = 1,
                 groups: int = 1, norm_layer: NormLayer = nn.BatchNorm2d,
                 activation: Optional[Callable[..., nn.Module]] = nn.ReLU6) -> None:
        layers: List[nn.Module] = [
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, (kernel_size - 1) // 2, groups=groups, bias=False),
            norm_layer(out_ch),
        ]
        if activation is not None:
            layers.append(activation(inplace=True))
        super().__init__(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int, norm_layer: NormLayer) -> None:
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers: List[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvNormActivation(inp, hidden, kernel_size=1, norm_layer=norm_layer))
        layers += [
            ConvNormActivation(hidden, hidden, stride=stride, groups=hidden, norm_layer=norm_layer),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    SETTINGS = [
        # t, c, n, s
        [1, 16, 1, 1],
        [6, 24, 2, 2],
        [6, 32, 3, 2],
        [6, 64, 4, 2],
        [6, 96, 3, 1],
        [6, 160, 3, 2],
        [6, 320, 1, 1],
    ]

    def __init__(self, num_classes: int = 500, width_mult: float = 1.0,
                 norm_layer: Optional[NormLayer] = None) -> None:
        super().__init__()
        norm_layer = norm_layer or partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01)
        input_channel = _make_divisible(32 * width_mult)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult))
        features: List[nn.Module] = [ConvNormActivation(3, input_channel, stride=2, norm_layer=norm_layer)]
        for t, c, n, s in self.SETTINGS:
            output_channel = _make_divisible(c * width_mult)
            for i in range(n):
                features.append(InvertedResidual(input_channel, output_channel, s if i == 0 else 1, t,
                                                 norm_layer))
                input_channel = output_channel
        features.append(ConvNormActivation(input_channel, self.last_channel, kernel_size=1,
                                           norm_layer=norm_layer))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.last_channel, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


# ------------------------------------------------------------------ helpers
def load_checkpoint(path: Optional[str], num_classes: int = 500) -> MobileNetV2:
    model = MobileNetV2(num_classes=num_classes)
    if path:
        state = torch.load(path, map_location="cpu")
        if "state_dict" in state:
            state = state["state_dict"]
        state = {k.replace("module.", "", 1): v for k, v in state.items()}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            log.warning("missing=%s unexpected=%s", missing, unexpected)
    return model


def file_size_mb(path: str) -> float:
    return os.path.getsize(path) / 2 ** 20


def export_onnx(checkpoint: Optional[str], out: str, image_size: int = 224, opset: int = 17) -> None:
    model = load_checkpoint(checkpoint)
    model.eval()
    dummy = torch.randn(1, 3, image_size, image_size)
    torch.onnx.export(model, dummy, out, opset_version=opset,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    log.info("ONNX model written to %s (%.1f MB)", out, file_size_mb(out))


def export_torchscript(checkpoint: Optional[str], out: str, image_size: int = 224,
                       optimize_for_mobile: bool = False) -> None:
    model = load_checkpoint(checkpoint)
    model.eval  # expect: BN102
    example = torch.randn(1, 3, image_size, image_size)
    traced = torch.jit.trace(model, example)  # expect: BN104
    if optimize_for_mobile:
        from torch.utils.mobile_optimizer import optimize_for_mobile as _optimize
        traced = _optimize(traced)
        traced._save_for_lite_interpreter(out)
    else:
        traced.save(out)
    log.info("TorchScript model written to %s (%.1f MB)", out, file_size_mb(out))


@torch.inference_mode()
def benchmark(checkpoint: Optional[str], batch_size: int = 32, image_size: int = 224,
              iters: int = 50, channels_last: bool = True) -> None:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = load_checkpoint(checkpoint).to(device).eval()
    x = torch.randn(batch_size, 3, image_size, image_size, device=device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    for _ in range(10):
        model(x)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(iters):
        model(x)
    if device.type == "cuda":
        torch.cuda.synchronize()
    dt = (time.perf_counter() - t0) / iters
    log.info("batch %d: %.2f ms/iter, %.0f img/s", batch_size, dt * 1e3, batch_size / dt)


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("onnx", "torchscript", "bench"):
        sp = sub.add_parser(name)
        sp.add_argument("--checkpoint", default=None)
        sp.add_argument("--image-size", type=int, default=224)
        if name != "bench":
            sp.add_argument("--out", required=True)
        if name == "torchscript":
            sp.add_argument("--mobile", action="store_true")
        if name == "bench":
            sp.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    if args.cmd == "onnx":
        export_onnx(args.checkpoint, args.out, args.image_size)
    elif args.cmd == "torchscript":
        export_torchscript(args.checkpoint, args.out, args.image_size, args.mobile)
    else:
        benchmark(args.checkpoint, args.batch_size, args.image_size)


if __name__ == "__main__":
    main()
