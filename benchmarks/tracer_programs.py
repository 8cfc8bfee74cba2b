"""Real-program benchmark of the tracer (not a test): small training scripts modelled on public programs
with a known BatchNorm bug (benchmarks/trace_programs/p*.py; each names its source and its bug in its
header), run on synthetic data with a step limit on CPU. For each: whether `bn-lint trace` finds the
bug, whether `bn-lint check` does, the other codes each reports, and the tracer's overhead on the
program's training loop (traced / plain, median of --repeat alternating runs). Prints a markdown table.

    PYTHONPATH=. python benchmarks/tracer_programs.py [--steps 60] [--repeat 3] [PATTERN ...]

The loop time is what the program itself measures around its training loop (``BENCH_LOOP_SECONDS`` on
stderr, see trace_programs/_common.py), so interpreter start-up and torch's import are left out; the
wall time of the whole traced and plain runs is shown too. A program whose bug is a crash (p03) crashes
in both runs: its loop time is the time until the crash.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "benchmarks" / "trace_programs"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}


def header(path: Path) -> tuple[str, str]:
    """(source URL, expected code) from the program's first comment lines."""
    text = path.read_text()
    url = re.search(r"Modelled on: (\S+)", text).group(1)
    code = re.search(r"Bug: (BN\d{3})", text).group(1)
    return url, code


def run(args: list[str], timeout: int = 600) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=ENV, cwd=PROGRAMS, timeout=timeout)
    return result, time.perf_counter() - start


def loop_seconds(stderr: str) -> float | None:
    found = re.findall(r"BENCH_LOOP_SECONDS=([0-9.]+)", stderr)
    return float(found[-1]) if found else None


def check_codes(path: Path) -> list[str]:
    result, _ = run([sys.executable, "-m", "bn_lint", "check", "--format", "json", path.name])
    try:
        return sorted(f["code"] for f in json.loads(result.stdout or "[]"))
    except json.JSONDecodeError:
        return ["(check failed)"]


def measure(path: Path, steps: int, repeat: int) -> dict:
    plain_loop, traced_loop, plain_wall, traced_wall = [], [], [], []
    codes, status = None, set()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "trace.json"
        for i in range(repeat):
            order = ("plain", "traced") if i % 2 == 0 else ("traced", "plain")  # ABBA: drift hits both alike
            for kind in order:
                if kind == "plain":
                    result, wall = run([sys.executable, path.name, "--steps", str(steps)])
                    plain_wall.append(wall)
                    seconds = loop_seconds(result.stderr)
                    if seconds is not None:
                        plain_loop.append(seconds)
                    status.add(("plain", result.returncode))
                else:
                    result, wall = run([sys.executable, "-m", "bn_lint", "trace", "--format", "json", "-o", str(out),
                                        path.name, "--steps", str(steps)])
                    traced_wall.append(wall)
                    seconds = loop_seconds(result.stderr)
                    if seconds is not None:
                        traced_loop.append(seconds)
                    status.add(("traced", result.returncode))
                    if codes is None and out.exists():
                        codes = sorted(f["code"] for f in json.loads(out.read_text()))
    return {"trace": codes or [], "plain_loop": plain_loop, "traced_loop": traced_loop,
            "plain_wall": plain_wall, "traced_wall": traced_wall, "status": status}


def fmt_codes(codes: list[str], expected: str) -> str:
    others = sorted(set(codes) - {expected})
    return ", ".join(others) if others else "–"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60, help="optimizer steps per program run (default 60)")
    parser.add_argument("--repeat", type=int, default=3, help="plain and traced runs per program (default 3)")
    parser.add_argument("patterns", nargs="*", help="only programs whose file name contains one of these")
    args = parser.parse_args()
    programs = sorted(p for p in PROGRAMS.glob("p*.py")
                      if not args.patterns or any(s in p.name for s in args.patterns))
    rows, found = [], {"trace": 0, "check": 0, "both": 0, "neither": 0}
    overheads = []
    for path in programs:
        url, expected = header(path)
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        result = measure(path, args.steps, args.repeat)
        checked = check_codes(path)
        by_trace, by_check = expected in result["trace"], expected in checked
        found["trace"] += by_trace
        found["check"] += by_check
        found["both"] += by_trace and by_check
        found["neither"] += not (by_trace or by_check)
        if result["plain_loop"] and result["traced_loop"]:
            plain, traced = statistics.median(result["plain_loop"]), statistics.median(result["traced_loop"])
            overhead = f"{(traced / plain - 1) * 100:+.0f}% ({plain * 1000:.0f} → {traced * 1000:.0f} ms)"
            overheads.append(traced / plain)
        else:
            overhead = "n/a"
        wall = (f"{statistics.median(result['plain_wall']):.1f} → {statistics.median(result['traced_wall']):.1f} s"
                if result["plain_wall"] and result["traced_wall"] else "n/a")
        crashed = sorted({rc for _, rc in result["status"] if rc})
        name = path.stem + (f" (exits {', '.join(map(str, crashed))})" if crashed else "")
        rows.append(f"| [{name}]({url}) | {expected} | {'yes' if by_trace else '**no**'} | "
                    f"{'yes' if by_check else '**no**'} | {fmt_codes(result['trace'], expected)} | "
                    f"{fmt_codes(checked, expected)} | {overhead} | {wall} |")
    print(f"{len(programs)} programs, --steps {args.steps}, median of {args.repeat} runs each; torch "
          f"{_torch_version()}, CPU, 1 thread\n")
    print("| program (source) | bug | trace finds | check finds | trace: other codes | check: other codes "
          "| loop overhead (plain → traced) | wall (plain → traced) |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    n = len(programs)
    print(f"\nfound by trace {found['trace']}/{n}, by check {found['check']}/{n}, by both {found['both']}/{n}, "
          f"by neither {found['neither']}/{n}")
    if overheads:
        print(f"loop overhead: median {(statistics.median(overheads) - 1) * 100:+.0f}%, "
              f"max {(max(overheads) - 1) * 100:+.0f}%")
    return 0


def _torch_version() -> str:
    try:
        import torch

        return torch.__version__
    except ImportError:  # pragma: no cover
        return "?"


if __name__ == "__main__":
    sys.exit(main())
