"""The flow matrix (issue 42, "Must show"): idioms of real projects x the fact families they carry.

Each cell ``tests/data/flow_matrix/<idiom>/<code>/`` is a small multi-file project: ``bug/`` holds the defect,
``fixed/`` its fixed twin, ``expect.json`` the finding ``bug/`` should give (code, path inside ``bug/``, line).
tests/flow_matrix/README.md draws the matrix and names, for each failing cell, the capability it lacks.

- A fixed twin gives no correctness finding (BN1xx, BN2xx but BN204, BN3xx), unless its cell is in KNOWN_FALSE
  (a false positive of bn-lint, listed with its reason; when it goes away the test says so).
- A bug cell not in FAILING is found at its line; one in FAILING is not (when it is: "found now: take it off
  FAILING"); and the share found is at least FLOOR, today's share, so it can only go up.

One bn-lint run covers every cell (each cell's files resolve their imports within their own folder).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DATA = Path(__file__).parent / "data" / "flow_matrix"
FAMILIES = {"BN101", "BN103", "BN104", "BN105", "BN201", "BN202", "BN203", "BN301", "BN302"}

# cell -> the capability its bug/ lacks (README.md has the same list); bug/ is silent for its code until it lands
FAILING: dict[str, str] = {}

# cell -> why bn-lint's finding on its fixed/ twin is wrong (a false positive); none today
KNOWN_FALSE: dict[str, str] = {}

FLOOR = 1.0  # share of bug cells found at their line, measured 153 / 153

CORRECTNESS = ("BN1", "BN2", "BN3")


def _cells() -> dict[str, dict]:
    return {f"{e.parent.parent.name}/{e.parent.name}": json.loads(e.read_text())
            for e in sorted(DATA.glob("*/*/expect.json"))}


CELLS = _cells()


@pytest.fixture(scope="module")
def findings() -> dict[tuple[str, str], list[tuple[str, str, int]]]:
    """(cell, side) -> (code, path inside the side, line) of every finding, from one bn-lint run."""
    proc = subprocess.run(
        [sys.executable, "-m", "bn_lint", "check", "--no-cache", "--format", "json", "--exit-zero", "."],
        capture_output=True, text=True, cwd=DATA, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    out: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    for f in json.loads(proc.stdout):
        idiom, code, side, *rest = Path(f["path"]).parts
        out.setdefault((f"{idiom}/{code}", side), []).append((f["code"], "/".join(rest), f["line"]))
    return out


def _found(findings, cell: str) -> bool:
    expect = CELLS[cell]
    return (expect["code"], expect["path"], expect["line"]) in findings.get((cell, "bug"), [])


def test_the_matrix_is_complete():
    assert len(CELLS) >= 60
    assert len({cell.split("/")[0] for cell in CELLS}) >= 28
    assert set(FAILING) <= set(CELLS) and set(KNOWN_FALSE) <= set(CELLS)
    for cell, expect in CELLS.items():
        assert cell.split("/")[1] == expect["code"] in FAMILIES, cell
        bug, fixed = DATA / cell / "bug", DATA / cell / "fixed"
        assert (bug / expect["path"]).is_file(), cell
        names = sorted(str(p.relative_to(bug)) for p in bug.rglob("*.py"))
        assert names == sorted(str(p.relative_to(fixed)) for p in fixed.rglob("*.py")), cell
        assert 2 <= len(names) <= 4, (cell, names)
        for name in names:
            assert len((bug / name).read_text().splitlines()) <= 40, (cell, name)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_fixed_twin_is_clean(findings, cell):
    wrong = [f for f in findings.get((cell, "fixed"), []) if f[0].startswith(CORRECTNESS) and f[0] != "BN204"]
    if cell in KNOWN_FALSE:
        assert wrong, f"clean now: take it off KNOWN_FALSE ({cell}: {KNOWN_FALSE[cell]})"
    else:
        assert not wrong, f"{cell}: finding on the fixed twin: {wrong}"


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_bug_is_found_or_a_known_failure(findings, cell):
    if cell in FAILING:
        assert not _found(findings, cell), f"found now: take it off FAILING ({cell}: {FAILING[cell]})"
    else:
        assert _found(findings, cell), (
            f"{cell} is off FAILING but bug/ no longer reports {CELLS[cell]}: {findings.get((cell, 'bug'), [])}")


def test_found_share_at_least_floor(findings):
    share = sum(_found(findings, cell) for cell in CELLS) / len(CELLS)
    assert share >= FLOOR, f"found {share:.3f} < FLOOR {FLOOR}"
