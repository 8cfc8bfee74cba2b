#!/usr/bin/env python
"""Latency / throughput benchmark for the edge classifier.

Example:
    python bench.py --ckpt ckpt/edge_cls.pth --batch-sizes 1 8 32 --device cuda
"""
import argparse
import statistics
import time
from collections import OrderedDict

import torch
import torch.nn as nn


def build_model(num_classes=1000, width=32):
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(3, width, 3, stride=2, padding=1, bias=False)),
        ("bn1", nn.BatchNorm2d(width)),
        ("relu1", nn.ReLU(inplace=True)),
        ("conv2", nn.Conv2d(width, width * 2, 3, stride=2, padding=1, bias=False)),
        ("bn2", nn.BatchNorm2d(width * 2)),
        ("relu2", nn.ReLU(inplace=True)),
        ("conv3", nn.Conv2d(width * 2, width * 4, 3, stride=2, padding=1, bias=False)),
        ("bn3", nn.BatchNorm2d(width * 2)),  # expect: BN201
        ("relu3", nn.ReLU(inplace=True)),
        ("conv4", nn.Conv2d(width * 4, width * 8, 3, stride=2, padding=1, bias=False)),
        ("bn4", nn.BatchNorm2d(width * 8)),
        ("relu4", nn.ReLU(inplace=True)),
        ("pool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(width * 8, num_classes)),
    ]))


def load_checkpoint(model, path, device):
    state = torch.load(path, map_location=device)
    if "state_dict" in state:
        state = state["state_dict"]
    model.load_state_dict(state)
    model.training = False  # expect: BN102
    return model.to(device)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def benchmark(model, batch_size, image_size, warmup, iters, device):
    model.eval()
    x = torch.randn(batch_size, 3, image_size, image_size, device=device)
    timings = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        sync(device)
        for _ in range(iters):
            t0 = time.perf_counter()
            model(x)
            sync(device)
            timings.append((time.perf_counter() - t0) * 1000.0)
    p50 = statistics.median(timings)
    p90 = sorted(timings)[int(0.9 * len(timings)) - 1]
    return p50, p90, batch_size * 1000.0 / p50


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model = load_checkpoint(build_model(), args.ckpt, device)

    print(f"{'batch':>6} {'p50 ms':>9} {'p90 ms':>9} {'img/s':>10}")
    for bs in args.batch_sizes:
        p50, p90, ips = benchmark(model, bs, args.image_size, args.warmup, args.iters, device)
        print(f"{bs:>6} {p50:>9.2f} {p90:>9.2f} {ips:>10.1f}")


if __name__ == "__main__":
    main()
