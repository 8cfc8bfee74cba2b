"""Score bn-lint on folders of example programs marked with ``# expect: BNxxx`` comments.

    python benchmarks/expect_score.py FOLDER [FOLDER ...] [--verbose]

A file (or a project folder's file) with marks is buggy, one without is clean. Each mark is a
seeded bug that should be reported with that code on that line. Prints, per folder: marks found
at their line, marks missed, extra findings in buggy files, and findings in clean files (false
positives); --verbose lists each miss and extra finding. Not a test: the sets are written blind to
the rules' code, and their first-run scores are the estimate for code bn-lint has not seen.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

MARK = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")


def marks(path: Path) -> Counter:
    found: Counter = Counter()
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        match = MARK.search(line)
        if match:
            found.update((code.strip(), number) for code in match.group(1).split(",") if code.strip())
    return found


def findings(*folders: Path) -> dict[Path, Counter]:
    """The findings of one bn-lint run over ``folders``, by file (a file's findings do not depend on what else a
    run checks: one run over every folder gives what a run per folder gives, sooner)."""
    done = subprocess.run([sys.executable, "-m", "bn_lint", "check", "--no-cache", "--format", "json",
                           *map(str, folders)], capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"bn-lint failed on {', '.join(map(str, folders))}:\n{done.stderr}")
    out: dict[Path, Counter] = {}
    for item in json.loads(done.stdout or "[]"):
        out.setdefault(Path(item["path"]).resolve(), Counter())[(item["code"], item["line"])] += 1
    return out


def score(folder: Path, verbose: bool, got: dict[Path, Counter] | None = None) -> tuple[int, int, int, int, int]:
    """(marks found, marks missed, extra findings in buggy files, findings in clean files, clean files) of the
    folder, from ``got`` (``findings``) or a run of its own."""
    got = findings(folder) if got is None else got
    files = sorted(p.resolve() for p in folder.rglob("*.py"))
    hit = miss = extra = false_pos = clean = 0
    for path in files:
        want, have = marks(path), got.get(path, Counter())
        name = path.relative_to(folder.resolve())
        if want:
            hit += sum((want & have).values())
            for (code, line), n in (want - have).items():
                miss += n
                if verbose:
                    print(f"  miss   {name}:{line} {code}")
            for (code, line), n in (have - want).items():
                extra += n
                if verbose:
                    print(f"  extra  {name}:{line} {code}")
        else:
            clean += 1
            for (code, line), n in have.items():
                false_pos += n
                if verbose:
                    print(f"  FP     {name}:{line} {code}")
    return hit, miss, extra, false_pos, clean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args()
    totals = [0, 0, 0, 0, 0]
    got = findings(*args.folders)
    for folder in args.folders:
        print(folder)
        result = score(folder, args.verbose, got)
        hit, miss, extra, false_pos, clean = result
        print(f"  found {hit}/{hit + miss} at the marked line; {extra} extra in buggy files; "
              f"{false_pos} on {clean} clean files")
        totals = [a + b for a, b in zip(totals, result)]
    if len(args.folders) > 1:
        hit, miss, extra, false_pos, clean = totals
        print(f"all: found {hit}/{hit + miss}; {extra} extra; {false_pos} on {clean} clean files")


if __name__ == "__main__":
    main()
