"""Shared by the benchmark programs (not a program itself): the step limit and the timing line that
benchmarks/tracer_programs.py reads. Synthetic data only; CPU; a few seconds per program."""
from __future__ import annotations

import argparse
import sys
import time

import torch


def parse(steps: int = 60) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=steps, help="stop after this many optimizer steps")
    args, _ = parser.parse_known_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    return args


class Clock:
    """``with Clock():`` around the training loop; prints ``BENCH_LOOP_SECONDS=<s>`` on stderr, also when the
    loop raises (a program whose bug is a crash still reports the time it ran)."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        print(f"BENCH_LOOP_SECONDS={time.perf_counter() - self.start:.6f}", file=sys.stderr, flush=True)
        return False
