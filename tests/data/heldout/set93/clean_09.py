"""Offline evaluation harness for image classifiers.

Loads one or several checkpoints, evaluates each (optionally with flip TTA),
evaluates their ensemble, reports calibration (ECE) and per-sample latency.
No training happens in this file.

    python clean_09.py ckpt_a.pt ckpt_b.pt --tta --latency
"""
from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("evalharness")


# --------------------------------------------------------------------- model
def _stage(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False)),
        ("bn1", nn.BatchNorm2d(out_ch)),
        ("relu1", nn.ReLU(inplace=True)),
        ("conv2", nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)),
        ("bn2", nn.BatchNorm2d(out_ch)),
        ("relu2", nn.ReLU(inplace=True)),
        ("pool", nn.MaxPool2d(2)),
    ]))


class Classifier(nn.Module):
    def __init__(self, num_classes: int = 100, widths: Sequence[int] = (64, 128, 256)) -> None:
        super().__init__()
        stages, in_ch = [], 3
        for w in widths:
            stages.append(_stage(in_ch, w))
            in_ch = w
        self.body = nn.Sequential(*stages)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(in_ch, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(inplace=True),
            nn.Linear(512, num_classes),
        )

    def forward(self, x):
        return self.head(self.body(x))


def load_for_eval(path: Optional[str], num_classes: int, device: torch.device) -> nn.Module:
    model = Classifier(num_classes)
    if path:
        state = torch.load(path, map_location="cpu")
        model.load_state_dict(state.get("model", state))
    model.to(device)
    model.eval()
    model.requires_grad_(False)
    return model


# ------------------------------------------------------------------- metrics
def topk_correct(logits: torch.Tensor, target: torch.Tensor, ks=(1, 5)) -> Dict[int, int]:
    maxk = max(ks)
    _, pred = logits.topk(maxk, dim=1)
    hits = pred.eq(target.unsqueeze(1))
    return {k: int(hits[:, :k].any(dim=1).sum()) for k in ks}


def expected_calibration_error(probs: torch.Tensor, target: torch.Tensor, n_bins: int = 15) -> float:
    conf, pred = probs.max(dim=1)
    acc = pred.eq(target).float()
    edges = torch.linspace(0, 1, n_bins + 1)
    ece = torch.zeros(())
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (conf > lo) & (conf <= hi)
        if in_bin.any():
            ece += in_bin.float().mean() * (conf[in_bin].mean() - acc[in_bin].mean()).abs()
    return float(ece)


# ------------------------------------------------------------------ harness
class Predictor:
    """Thin inference wrapper; the model is switched to eval once, here."""

    def __init__(self, model: nn.Module, device: torch.device, tta: bool = False) -> None:
        self.model = model.eval()
        self.device = device
        self.tta = tta

    @torch.inference_mode()
    def logits(self, images: torch.Tensor) -> torch.Tensor:
        images = images.to(self.device, non_blocking=True)
        out = self.model(images)
        if self.tta:
            out = (out + self.model(torch.flip(images, dims=[3]))) / 2
        return out.float().cpu()


def collect(predictor: Predictor, loader: DataLoader):
    all_logits, all_targets = [], []
    for images, targets in loader:
        all_logits.append(predictor.logits(images))
        all_targets.append(targets)
    return torch.cat(all_logits), torch.cat(all_targets)


def summarize(logits: torch.Tensor, targets: torch.Tensor) -> Dict[str, float]:
    probs = F.softmax(logits, dim=1)
    hits = topk_correct(logits, targets)
    n = targets.numel()
    return {
        "top1": hits[1] / n,
        "top5": hits[5] / n,
        "nll": F.cross_entropy(logits, targets).item(),
        "ece": expected_calibration_error(probs, targets),
    }


@torch.inference_mode()
def measure_latency(model: nn.Module, device: torch.device, shape=(1, 3, 64, 64),
                    warmup: int = 10, iters: int = 100) -> Dict[str, float]:
    model.eval()
    x = torch.randn(*shape, device=device)
    for _ in range(warmup):
        model(x)
    timings = []
    for _ in range(iters):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        model(x)
        if device.type == "cuda":
            torch.cuda.synchronize()
        timings.append((time.perf_counter() - t0) * 1e3)
    timings.sort()
    return {"p50_ms": statistics.median(timings), "p90_ms": timings[int(0.9 * len(timings)) - 1]}


def evaluate_all(models: Dict[str, nn.Module], loader: DataLoader, device: torch.device,
                 tta: bool) -> Dict[str, Dict[str, float]]:
    report: Dict[str, Dict[str, float]] = {}
    ensemble_probs = None
    targets = None
    for name, model in models.items():
        logits, targets = collect(Predictor(model, device, tta=tta), loader)
        report[name] = summarize(logits, targets)
        probs = F.softmax(logits, dim=1)
        ensemble_probs = probs if ensemble_probs is None else ensemble_probs + probs
    if len(models) > 1 and ensemble_probs is not None:
        ensemble_probs /= len(models)
        report["ensemble"] = summarize(ensemble_probs.clamp_min(1e-8).log(), targets)
    return report


def per_sample_dump(model: nn.Module, dataset: TensorDataset, device: torch.device,
                    path: str) -> None:
    """Write one JSON line per test image (batch size 1 keeps indices trivial)."""
    loader = DataLoader(dataset, batch_size=1, shuffle=False)
    predictor = Predictor(model, device)
    with open(path, "w") as fh:
        for idx, (image, target) in enumerate(loader):
            probs = F.softmax(predictor.logits(image), dim=1)[0]
            conf, pred = probs.max(dim=0)
            fh.write(json.dumps({"index": idx, "target": int(target), "pred": int(pred),
                                 "confidence": round(float(conf), 5)}) + "\n")


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("checkpoints", nargs="*")
    p.add_argument("--num-classes", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=1, help="evaluation batch size")
    p.add_argument("--tta", action="store_true")
    p.add_argument("--latency", action="store_true")
    p.add_argument("--dump", default=None, help="per-sample JSONL output for the first model")
    p.add_argument("--report", default="eval_report.json")
    args = p.parse_args(argv)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    n = 1_000
    test_set = TensorDataset(torch.randn(n, 3, 64, 64), torch.randint(0, args.num_classes, (n,)))
    loader = DataLoader(test_set, batch_size=args.batch_size, shuffle=False, num_workers=2)

    paths = args.checkpoints or [None]
    models = {str(p or f"random_init_{i}"): load_for_eval(p, args.num_classes, device)
              for i, p in enumerate(paths)}
    report: Dict[str, Dict[str, float]] = evaluate_all(models, loader, device, args.tta)
    if args.latency:
        for name, model in models.items():
            report[name].update(measure_latency(model, device))
    if args.dump:
        first = next(iter(models.values()))
        per_sample_dump(first, test_set, device, args.dump)

    for name, metrics in report.items():
        log.info("%-30s %s", name, {k: round(v, 4) for k, v in metrics.items()})
    with open(args.report, "w") as fh:
        json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
