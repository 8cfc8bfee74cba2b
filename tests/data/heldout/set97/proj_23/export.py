"""Export a trained FCN checkpoint with torch.export and ONNX."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import torch
from torch.export import Dim

from config import ExperimentConfig
from model import FCN, ResNetBackbone

log = logging.getLogger("export")


def load_model(ckpt: Path, cfg: ExperimentConfig) -> FCN:
    model = FCN(ResNetBackbone(cfg.backbone), cfg.num_classes)
    model.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=True))
    return model.eval()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt", type=Path)
    ap.add_argument("--out", type=Path, default=Path("deploy"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    cfg = ExperimentConfig()
    model = load_model(args.ckpt, cfg)
    model.eval()
    example = torch.randn(1, 3, cfg.data.crop, cfg.data.crop)

    h = Dim("h", min=256, max=2048)
    w = Dim("w", min=256, max=2048)
    program = torch.export.export(model, (example,), dynamic_shapes=({2: h, 3: w},))
    torch.export.save(program, args.out / "fcn_r50.pt2")

    torch.onnx.export(model, (example,), str(args.out / "fcn_r50.onnx"), opset_version=17,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {2: "h", 3: "w"}, "logits": {2: "h", 3: "w"}})
    with torch.inference_mode():
        ref = model(example)
        got = program.module()(example)
    log.info("export parity: max abs diff %.2e", (ref - got).abs().max().item())


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
