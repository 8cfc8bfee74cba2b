"""How far the chain analysis reaches: BatchNorm layers with a known producer and known widths.

    PYTHONPATH=. python benchmarks/bn_reach.py PATH [PATH ...] [--list-unresolved]

A BatchNorm construction counts as *resolved* when some chain shows the layer that feeds it
(``Conv2d``, ``Linear``, a previous norm, ...) and both widths are known (numbers or symbolic
expressions). Everything else is where BN201-BN204 stay silent.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import libcst as cst

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bn_lint.semantic.shapes.producers import chains_of  # noqa: E402
from bn_lint.semantic.file.model import FileModel  # noqa: E402
from bn_lint.semantic.syntax.constants import is_width  # noqa: E402


def resolved(obs) -> bool:
    t = obs.tensor
    width = obs.bn.value(obs.bn.spec.in_width)
    ref = t.size(1) if (t.rank is not None or any(a == 1 for a, _ in t.sizes)) else t.size(-1)
    return t.producer is not None and is_width(width) and is_width(ref)


def reach(path: Path) -> tuple[int, int, int, list[str]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if "BatchNorm" not in text:
        return 0, 0, 0, []
    try:
        model = FileModel(str(path), text, cst.parse_module(text))
    except Exception:
        return 0, 0, 0, []
    chains = chains_of(model)
    nodes = {layer.node for layer in model.layer_calls if layer.spec.is_batchnorm} | set(chains.batchnorms)
    observed = sum(1 for n in nodes if chains.observations.get(n))
    done = sum(1 for n in nodes if any(resolved(o) for o in chains.observations.get(n, ())))
    missing = [f"{path}:{model.line_of(n)}" for n in nodes if not any(resolved(o) for o in chains.observations.get(n, ()))]
    return len(nodes), observed, done, missing


def main(argv: list[str]) -> int:
    show = "--list-unresolved" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")]
    if not paths:
        print(__doc__)
        return 2
    start = time.perf_counter()
    total = seen = done = 0
    for root in paths:
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        sub_total = sub_done = sub_seen = 0
        for file in files:
            n, o, r, missing = reach(file)
            sub_total += n
            sub_seen += o
            sub_done += r
            if show:
                for m in missing:
                    print("  unresolved", m)
        total += sub_total
        seen += sub_seen
        done += sub_done
        pct = 100 * sub_done / sub_total if sub_total else 0
        print(f"{root}: {sub_done:,} of {sub_total:,} BatchNorm layers resolved ({pct:.0f}%); "
              f"{sub_seen:,} with some input seen")
    if len(paths) > 1:
        pct = 100 * done / total if total else 0
        print(f"total: {done:,} of {total:,} BatchNorm layers resolved ({pct:.0f}%); {seen:,} with some input seen")
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
