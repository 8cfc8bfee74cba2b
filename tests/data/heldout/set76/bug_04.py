#!/usr/bin/env python3
"""Latency / throughput benchmark for the ResNet-50 serving model.

Measures eager-mode inference latency for a given batch size, then traces
the model and stores the TorchScript artefact next to the report so the
serving team can benchmark it on their side.
"""
import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch
from torchvision import models


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def percentile(values, q):
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, int(round(q / 100.0 * (len(ordered) - 1)))))
    return ordered[idx]


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--weights", default=None, help="optional state_dict to load")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--img-size", type=int, default=224)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--iters", type=int, default=200)
    p.add_argument("--fp16", action="store_true")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--out-dir", default="bench_out")
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True

    model = models.resnet50(weights=None)
    if args.weights:
        model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    dtype = torch.float16 if (args.fp16 and device.type == "cuda") else torch.float32
    model = model.to(device=device, dtype=dtype)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format)

    x = torch.randn(args.batch_size, 3, args.img_size, args.img_size, device=device, dtype=dtype)
    x = x.contiguous(memory_format=memory_format)

    latencies = []
    with torch.inference_mode():
        for i in range(args.warmup + args.iters):
            sync(device)
            t0 = time.perf_counter()
            out = model(x)  # expect: BN101
            sync(device)
            if i >= args.warmup:
                latencies.append((time.perf_counter() - t0) * 1000.0)
    assert out.shape == (args.batch_size, 1000)

    mean_ms = statistics.mean(latencies)
    report = {
        "model": "resnet50",
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor(),
        "torch": torch.__version__,
        "batch_size": args.batch_size,
        "dtype": str(dtype),
        "channels_last": args.channels_last,
        "latency_ms": {
            "mean": round(mean_ms, 3),
            "p50": round(percentile(latencies, 50), 3),
            "p90": round(percentile(latencies, 90), 3),
            "p99": round(percentile(latencies, 99), 3),
        },
        "throughput_img_s": round(args.batch_size / (mean_ms / 1000.0), 1),
    }

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    traced = torch.jit.trace(model, x)  # expect: BN104
    traced_path = out_dir / f"resnet50_bs{args.batch_size}_ts.pt"
    traced.save(str(traced_path))
    report["torchscript"] = str(traced_path)

    with open(out_dir / "report.json", "w") as fh:
        json.dump(report, fh, indent=2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
