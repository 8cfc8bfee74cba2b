"""Export a trained pose-heatmap network to every deployment format we ship.

- torch.export (ExportedProgram, for ExecuTorch / AOTInductor)
- ONNX via the dynamo exporter and via the legacy TorchScript exporter
- TorchScript (trace) for the old C++ service
- a conv-BN fused copy for the int8 pipeline
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch
import torch.nn as nn
from torch.ao.quantization import fuse_modules
from torch.export import Dim, export

log = logging.getLogger("export_pose")

NUM_KEYPOINTS = 17
INPUT_HW = (256, 192)


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__(
            nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )


class PoseNet(nn.Module):
    def __init__(self, num_keypoints: int = NUM_KEYPOINTS) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            ConvBNReLU(3, 32, 2), ConvBNReLU(32, 32),
            ConvBNReLU(32, 64, 2), ConvBNReLU(64, 64),
            ConvBNReLU(64, 128, 2), ConvBNReLU(128, 128),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Conv2d(64, num_keypoints, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.decoder(self.encoder(x)))


def load(path: Path) -> PoseNet:
    model = PoseNet()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.eval()
    return model


def export_program(model: nn.Module, out: Path) -> None:
    example = (torch.randn(2, 3, *INPUT_HW),)
    batch = Dim("batch", min=1, max=64)
    ep = export(model, example, dynamic_shapes=({0: batch},))
    torch.export.save(ep, out / "posenet.pt2")


def export_onnx(model: nn.Module, out: Path) -> None:
    sample = torch.randn(1, 3, *INPUT_HW)
    onnx_program = torch.onnx.dynamo_export(model, sample)
    onnx_program.save(str(out / "posenet_dynamo.onnx"))
    torch.onnx.export(
        model, (sample,), str(out / "posenet_legacy.onnx"),
        input_names=["image"], output_names=["heatmaps"],
        dynamic_axes={"image": {0: "n"}, "heatmaps": {0: "n"}}, opset_version=17,
    )


def export_torchscript(model: nn.Module, out: Path) -> None:
    model.train(False)
    traced = torch.jit.trace(model, torch.randn(1, 3, *INPUT_HW))
    traced = torch.jit.freeze(traced)
    traced.save(str(out / "posenet_traced.ts"))


def export_fused(model: PoseNet, out: Path) -> None:
    model.eval()
    groups = [[f"encoder.{i}.0", f"encoder.{i}.1", f"encoder.{i}.2"] for i in range(len(model.encoder))]
    fused = fuse_modules(model, groups)
    torch.save(fused.state_dict(), out / "posenet_fused.pt")


def check_parity(model: nn.Module, out: Path) -> float:
    model.eval()
    program = torch.export.load(out / "posenet.pt2")
    x = torch.randn(4, 3, *INPUT_HW)
    with torch.inference_mode():
        ref = model(x)
        got = program.module()(x)
    return (ref - got).abs().max().item()


def main(ckpt: Path = Path("checkpoints/posenet_best.pt"), out: Path = Path("deploy")) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model = load(ckpt)
    export_program(model, out)
    export_onnx(model, out)
    export_torchscript(model, out)
    export_fused(model, out)
    log.info("max |torch - exported| = %.2e", check_parity(model, out))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
