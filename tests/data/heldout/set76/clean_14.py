#!/usr/bin/env python3
"""Throughput benchmark: training step vs. inference variants for ResNet-34.

Measures
  1. training throughput (forward + backward + SGD step, train mode),
  2. eager inference,
  3. inference with conv-BN folded (torch.fx fuse),
  4. TorchScript traced + frozen inference,
and writes a JSON summary.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch.fx.experimental.optimization import fuse as fx_fuse
from torchvision import models


def cuda_sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timeit(fn, warmup, iters, device):
    for _ in range(warmup):
        fn()
    cuda_sync(device)
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    cuda_sync(device)
    return (time.perf_counter() - t0) / iters


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--img-size", type=int, default=224)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--out", default="throughput.json")
    args = p.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True
    model = models.resnet34(weights=None).to(device)
    x = torch.randn(args.batch_size, 3, args.img_size, args.img_size, device=device)
    y = torch.randint(0, 1000, (args.batch_size,), device=device)
    results = {"batch_size": args.batch_size, "device": str(device), "torch": torch.__version__}

    # 1. training step
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    t = timeit(train_step, args.warmup, args.iters, device)
    results["train_img_s"] = args.batch_size / t

    # 2. eager inference
    model.eval()

    def infer_eager():
        with torch.inference_mode():
            return model(x)

    t = timeit(infer_eager, args.warmup, args.iters, device)
    results["eager_img_s"] = args.batch_size / t

    # 3. conv-BN folded (requires eval mode)
    fused = fx_fuse(model)

    def infer_fused():
        with torch.inference_mode():
            return fused(x)

    t = timeit(infer_fused, args.warmup, args.iters, device)
    results["fused_img_s"] = args.batch_size / t

    # 4. traced + frozen TorchScript
    with torch.no_grad():
        traced = torch.jit.trace(model, x)
    frozen = torch.jit.freeze(traced)

    def infer_ts():
        with torch.inference_mode():
            return frozen(x)

    t = timeit(infer_ts, args.warmup, args.iters, device)
    results["torchscript_img_s"] = args.batch_size / t

    with torch.inference_mode():
        ref = model(x)
        err_fused = (fused(x) - ref).abs().max().item()
        err_ts = (frozen(x) - ref).abs().max().item()
    results["max_abs_err"] = {"fused": err_fused, "torchscript": err_ts}

    with open(args.out, "w") as fh:
        json.dump(results, fh, indent=2)
    for k, v in results.items():
        print(f"{k:>20}: {v}")


if __name__ == "__main__":
    main()
