"""Tracer overhead: traced / untraced forward time (median of many runs), not a test.

    PYTHONPATH=. python benchmarks/tracer_overhead.py [--runs N] [--device cpu|cuda] [--clock wall|cpu]

Models: a ResNet-18-style conv net at a realistic batch, and a BatchNorm-heavy MLP (worst
case: tiny layers, so the per-call hook cost dominates). Training-mode forwards with autograd
on; traced and untraced runs alternate (ABBA) so that drift hits both alike. On a busy or small
machine the conv net's ratio is within timing noise, so the script also prints a noise-free
estimate: the MLP's extra time per module call times the conv net's module calls per forward.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

import bn_lint


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + (x if self.down is None else self.down(x)))


def resnet18(classes: int = 1000) -> nn.Module:
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes)]
    return nn.Sequential(*layers)


def bn_mlp(width: int = 64, depth: int = 16) -> nn.Module:
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU()]
    return nn.Sequential(*layers)


def timed_forward(model: nn.Module, x: torch.Tensor, device: str, clock=time.perf_counter) -> float:
    """Seconds of one forward (the GPU's work included)."""
    if device == "cuda":
        torch.cuda.synchronize()
    start = clock()
    model(x)
    if device == "cuda":
        torch.cuda.synchronize()
    return clock() - start


def measure(model: nn.Module, x: torch.Tensor, runs: int, device: str, clock=time.perf_counter,
            stats_every: int = 10) -> tuple[float, float]:
    def once() -> float:
        return timed_forward(model, x, device, clock)

    # one tracer, switched on and off: steady-state cost per call, running statistics sampled as configured
    tracer = bn_lint.trace(gather=False, stats_every=stats_every)
    for _ in range(3):  # warm-up (the tracer's first sight of each layer is a one-off cost)
        once()
        tracer.start()
        once()
        tracer.stop()
    plain, traced = [], []

    def traced_once() -> None:
        tracer.start()
        traced.append(once())
        tracer.stop()

    for run in range(runs):  # ABBA order: neither kind always runs first
        if run % 2:
            traced_once()
            plain.append(once())
        else:
            plain.append(once())
            traced_once()
    return statistics.median(plain), statistics.median(traced)


def hook_dispatch_cost(model: nn.Module, x: torch.Tensor, runs: int, device: str, clock=time.perf_counter) -> float:
    """Median forward time with no-op global hooks of the tracer's two kinds: what torch itself
    charges for any global module hook, before the tracer does any work."""
    module = torch.nn.modules.module

    def once() -> float:
        return timed_forward(model, x, device, clock)

    handles = [module.register_module_forward_pre_hook(lambda m, a: None),
               module.register_module_forward_hook(lambda m, a, o: None, always_call=True)]
    try:
        for _ in range(3):
            once()
        return statistics.median(once() for _ in range(runs))
    finally:
        for handle in handles:
            handle.remove()


def module_calls(model: nn.Module, x: torch.Tensor) -> int:
    """How many module calls (hook firings) one forward makes."""
    count = 0

    def hook(module, args):
        nonlocal count
        count += 1

    handle = torch.nn.modules.module.register_module_forward_pre_hook(hook)
    try:
        model(x)
    finally:
        handle.remove()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="conv net runs (the MLP gets 10x as many)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=0, help="image size (default: 224 on CUDA, 112 on CPU)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: perf_counter; cpu: this process's CPU time (steadier on a shared machine)")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--stats-every", type=int, default=10,
                        help="the tracer samples running statistics every N training calls per layer (0: off; "
                             "default 10, as `bn-lint trace`)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    device = args.device
    size = args.size or (224 if device == "cuda" else 112)
    conv = (f"resnet18 conv net, batch {args.batch}, {size}x{size}", resnet18(), torch.randn(args.batch, 3, size, size),
            args.runs)
    mlp = ("BatchNorm MLP, 16 x (Linear 64 + BatchNorm1d + ReLU), batch 64", bn_mlp(), torch.randn(64, 64),
           args.runs * 10)
    print(f"torch {torch.__version__}, device {device}, {torch.get_num_threads()} threads, {args.clock} clock, "
          f"running statistics sampled every {args.stats_every} training calls" if args.stats_every else
          f"torch {torch.__version__}, device {device}, {torch.get_num_threads()} threads, {args.clock} clock, "
          "no statistics sampling")
    results = {}
    for key, (label, model, x, runs) in (("conv", conv), ("mlp", mlp)):
        torch.manual_seed(0)
        model, x = model.to(device).train(), x.to(device)
        plain, traced = measure(model, x, runs, device, clock, args.stats_every)
        calls = module_calls(model, x)
        hooked = hook_dispatch_cost(model, x, runs, device, clock)
        results[key] = (plain, traced, calls, hooked)
        print(f"{label}: {runs} runs, {calls} module calls per forward; untraced {plain * 1e3:.3f} ms, "
              f"traced {traced * 1e3:.3f} ms, ratio {traced / plain:.3f}; with no-op global hooks "
              f"{hooked * 1e3:.3f} ms, ratio {hooked / plain:.3f}")
    plain, traced, calls, hooked = results["mlp"]
    per_call = max(traced - plain, 0.0) / calls
    print(f"per module call (from the MLP): torch's dispatch of any global hooks {max(hooked - plain, 0.0) / calls * 1e6:.2f} us, "
          f"the tracer's own work {max(traced - hooked, 0.0) / calls * 1e6:.2f} us")
    plain, _, calls, _ = results["conv"]
    print(f"tracer cost per module call (from the MLP): {per_call * 1e6:.2f} us; estimated conv net ratio "
          f"1 + {calls} x {per_call * 1e6:.2f} us / {plain * 1e3:.1f} ms = {1 + calls * per_call / plain:.4f}")


if __name__ == "__main__":
    main()
