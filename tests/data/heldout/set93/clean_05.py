"""Model export and quantisation utilities.

Subcommands:
    onnx        export an ONNX graph (opset 17) and check it against eager
    torchscript trace to TorchScript
    program     torch.export ExportedProgram
    ptq         post-training static quantisation (fbgemm)
    qat         quantisation-aware fine-tuning, then convert
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import logging
import os
from typing import Iterable, Iterator, List, Optional, Tuple

import torch
import torch.ao.nn.intrinsic.qat as nniqat
import torch.ao.quantization as tq
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("export")
INPUT_SHAPE: Tuple[int, int, int] = (3, 224, 224)


# --------------------------------------------------------------------- model
class ConvBNReLU(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, stride, 1, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class MobileNetV1(nn.Module):
    CFG = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)]

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.quant = tq.QuantStub()
        blocks = [ConvBNReLU(3, 32, stride=2)]
        for in_ch, out_ch, stride in self.CFG:
            blocks.append(ConvBNReLU(in_ch, in_ch, stride, groups=in_ch))   # depthwise
            blocks.append(PointwiseBNReLU(in_ch, out_ch))
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.pool(self.features(x)).flatten(1)
        return self.dequant(self.fc(x))

    def fusion_groups(self) -> List[List[str]]:
        groups = []
        for name, m in self.named_modules():
            if isinstance(m, (ConvBNReLU, PointwiseBNReLU)):
                groups.append([f"{name}.conv", f"{name}.bn", f"{name}.relu"])
        return groups


class PointwiseBNReLU(nn.Module):
    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


# ------------------------------------------------------------------- helpers
def load_model(checkpoint: Optional[str], num_classes: int = 1000) -> MobileNetV1:
    model = MobileNetV1(num_classes)
    if checkpoint:
        state = torch.load(checkpoint, map_location="cpu")
        model.load_state_dict(state.get("model", state))
    return model


@contextlib.contextmanager
def inference_mode_of(model: nn.Module) -> Iterator[nn.Module]:
    """Put ``model`` in eval for the duration of the block and restore it after."""
    previous = model.training
    model.train(False)
    try:
        yield model
    finally:
        model.train(previous)


def example_input(batch: int = 1) -> torch.Tensor:
    return torch.randn(batch, *INPUT_SHAPE)


# -------------------------------------------------------------------- export
def export_onnx(model: nn.Module, path: str, opset: int = 17, dynamic_batch: bool = True) -> str:
    model.eval()
    dynamic_axes = {"input": {0: "batch"}, "logits": {0: "batch"}} if dynamic_batch else None
    torch.onnx.export(
        model, example_input(), path,
        input_names=["input"], output_names=["logits"],
        opset_version=opset, dynamic_axes=dynamic_axes, do_constant_folding=True,
    )
    log.info("wrote %s (%.1f MB)", path, os.path.getsize(path) / 2**20)
    return path


def check_onnx(model: nn.Module, path: str, atol: float = 1e-4) -> None:
    import onnxruntime as ort

    x = example_input(4)
    with inference_mode_of(model), torch.no_grad():
        expected = model(x).numpy()
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(["logits"], {"input": x.numpy()})[0]
    err = float(abs(got - expected).max())
    if err > atol:
        raise AssertionError(f"ONNX mismatch: max abs err {err:.2e} > {atol:.0e}")
    log.info("onnx check ok (max abs err %.2e)", err)


def export_torchscript(model: nn.Module, path: str) -> str:
    with inference_mode_of(model):
        traced = torch.jit.trace(model, example_input(), check_trace=True)
    traced = torch.jit.freeze(traced)
    traced.save(path)
    return path


def export_program(model: nn.Module, path: str) -> str:
    program = torch.export.export(model.eval(), (example_input(2),))
    torch.export.save(program, path)
    return path


# -------------------------------------------------------------- quantisation
def post_training_quantize(model: nn.Module, calib_batches: Iterable[torch.Tensor]) -> nn.Module:
    model = copy.deepcopy(model).eval()
    tq.fuse_modules(model, model.fusion_groups(), inplace=True)
    model.qconfig = tq.get_default_qconfig("fbgemm")
    tq.prepare(model, inplace=True)
    with torch.no_grad():
        for images in calib_batches:
            model(images)
    return tq.convert(model, inplace=False)


def quantization_aware_finetune(model: nn.Module, loader: DataLoader, epochs: int = 3,
                                lr: float = 1e-4, freeze_bn_after: int = 2) -> nn.Module:
    # QAT fusion is done in training mode on purpose: ConvBnReLU2d keeps a live
    # BatchNorm that is folded only at convert() time.
    model = copy.deepcopy(model).train()
    tq.fuse_modules_qat(model, model.fusion_groups(), inplace=True)
    model.qconfig = tq.get_default_qat_qconfig("fbgemm")
    tq.prepare_qat(model, inplace=True)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for epoch in range(epochs):
        model.train()
        if epoch >= freeze_bn_after:
            # standard recipe: stop updating BN statistics for the last epochs
            model.apply(nniqat.freeze_bn_stats)
            model.apply(tq.disable_observer)
        for images, targets in loader:
            loss = F.cross_entropy(model(images), targets)
            opt.zero_grad()
            loss.backward()
            opt.step()
        log.info("qat epoch %d done (loss %.4f)", epoch, loss.item())
    model.eval()
    return tq.convert(model, inplace=False)


def calibration_batches(n: int = 32, batch: int = 16) -> Iterator[torch.Tensor]:
    for _ in range(n):
        yield example_input(batch)


def qat_loader(num_samples: int = 2048, batch_size: int = 64) -> DataLoader:
    ds = TensorDataset(torch.randn(num_samples, *INPUT_SHAPE), torch.randint(0, 1000, (num_samples,)))
    return DataLoader(ds, batch_size=batch_size, shuffle=True, drop_last=True)


# ----------------------------------------------------------------------- cli
def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("command", choices=["onnx", "torchscript", "program", "ptq", "qat"])
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--out", default="model")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--skip-check", action="store_true")
    args = p.parse_args(argv)

    model = load_model(args.checkpoint)
    if args.command == "onnx":
        path = export_onnx(model, args.out + ".onnx", opset=args.opset)
        if not args.skip_check:
            check_onnx(model, path)
    elif args.command == "torchscript":
        export_torchscript(model, args.out + ".ts")
    elif args.command == "program":
        export_program(model, args.out + ".pt2")
    elif args.command == "ptq":
        qmodel = post_training_quantize(model, calibration_batches())
        torch.jit.save(torch.jit.script(qmodel), args.out + ".int8.ts")
    elif args.command == "qat":
        qmodel = quantization_aware_finetune(model, qat_loader())
        torch.jit.save(torch.jit.script(qmodel), args.out + ".qat.int8.ts")


if __name__ == "__main__":
    main()
