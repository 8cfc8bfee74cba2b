"""Trace the trained detector to TorchScript for the embedded runtime."""
import os

import torch

from config import CONFIG
from models import DSCNN
from utils import load_weights


def export(cfg=CONFIG):
    model = DSCNN(cfg["width"], cfg["n_blocks"])
    epoch = load_weights(model, cfg["checkpoint"])
    frames = int(cfg["sample_rate"] * cfg["clip_seconds"]) // 160 + 1
    example = torch.randn(1, 1, cfg["n_mels"], frames)
    traced = torch.jit.trace(model, example)  # expect: BN104
    os.makedirs(os.path.dirname(cfg["torchscript"]), exist_ok=True)
    traced.save(cfg["torchscript"])
    print(f"traced checkpoint from epoch {epoch} -> {cfg['torchscript']}")


if __name__ == "__main__":
    export()
