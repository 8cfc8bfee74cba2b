"""Post-training static quantization (x86/fbgemm) of the keyword-spotting CNN.

Steps: load float checkpoint -> fuse conv/bn/relu -> calibrate -> convert ->
sanity-check against the float model -> save TorchScript for the edge runtime.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import torch
import torch.ao.quantization as tq
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

log = logging.getLogger("ptq")

N_MELS = 40
N_FRAMES = 98
NUM_KEYWORDS = 12
CKPT = Path("checkpoints/kws_float.pt")
CALIB_DIR = Path("data/kws_calib")


class LogMelDataset(Dataset):
    def __init__(self, root: Path) -> None:
        self.files = sorted(root.glob("*.pt"))

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, idx: int) -> torch.Tensor:
        return torch.load(self.files[idx], weights_only=True).unsqueeze(0)  # (1, N_MELS, N_FRAMES)


class KWSNet(nn.Module):
    def __init__(self, num_classes: int = NUM_KEYWORDS) -> None:
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = nn.Conv2d(1, 64, (10, 4), stride=(2, 2), padding=(5, 1), bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128)
        self.relu3 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.quant(x)
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.bn3(self.conv3(x)))
        x = self.fc(torch.flatten(self.pool(x), 1))
        return self.dequant(x)


FUSE_GROUPS = [
    ["conv1", "bn1", "relu1"],
    ["conv2", "bn2", "relu2"],
    ["conv3", "bn3", "relu3"],
]


def calibrate(model: nn.Module, loader: DataLoader, max_batches: int = 50) -> None:
    model.eval()
    with torch.inference_mode():
        for i, feats in enumerate(loader):
            model(feats)
            if i + 1 >= max_batches:
                break


def latency_ms(model: nn.Module, sample: torch.Tensor, iters: int = 200) -> float:
    model.eval()
    with torch.inference_mode():
        for _ in range(20):
            model(sample)
        t0 = time.perf_counter()
        for _ in range(iters):
            model(sample)
    return (time.perf_counter() - t0) * 1000 / iters


def main() -> None:
    torch.backends.quantized.engine = "x86"
    float_model = KWSNet()
    float_model.load_state_dict(torch.load(CKPT, map_location="cpu", weights_only=True))

    fused = tq.fuse_modules(float_model, FUSE_GROUPS)  # expect: BN104
    fused.eval()
    fused.qconfig = tq.get_default_qconfig("x86")
    prepared = tq.prepare(fused)

    calib_loader = DataLoader(LogMelDataset(CALIB_DIR), batch_size=32, shuffle=False)
    calibrate(prepared, calib_loader)
    quantized = tq.convert(prepared.eval())

    sample = next(iter(calib_loader))[:1]
    with torch.inference_mode():
        ref = float_model(sample)  # expect: BN101
        out = quantized(sample)
    agree = (ref.argmax(1) == out.argmax(1)).float().mean().item()
    log.info("top-1 agreement float vs int8: %.3f", agree)
    log.info("max abs logit diff: %.4f", (ref - out).abs().max().item())
    log.info("int8 latency %.3f ms", latency_ms(quantized, sample))

    scripted = torch.jit.script(quantized)
    out_path = Path("export/kws_int8.ts")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    scripted.save(str(out_path))
    log.info("saved %s", out_path)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
