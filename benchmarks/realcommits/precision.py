#!/usr/bin/env python3
"""Whole-repository precision on the fix-commit corpus: every correctness finding, judged.

Usage: precision.py --corpus DIR [--verdicts TSV] [--bn-lint CMD] [--jobs N] [--unjudged OUT]

Runs ``CMD check --format json --no-cache --exit-zero`` on every ``cases/*/pre`` and ``cases/*/post`` of
the corpus and looks every correctness finding (BN1xx, BN2xx but BN204, BN3xx) up in the verdicts
(``tests/data/realcommits/verdicts.tsv``: case, side, path, line, code, verdict, reason, message;
verdict true / false / debatable). A judgement is re-used while the finding keeps its case, side,
path, line and code. Prints the precision per code (true / (true + false)), the debatable ones, and
every finding not judged yet (``--unjudged OUT`` writes them as TSV rows to fill in). BN900 reports
on notebooks are counted apart (a cell Jupyter runs must never be one).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import subprocess
import sys
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERDICTS = HERE.parents[1] / "tests" / "data" / "realcommits" / "verdicts.tsv"


def correctness(code: str) -> bool:
    return code[:3] in ("BN1", "BN3") or (code.startswith("BN2") and code != "BN204")


def read_verdicts(path: Path) -> dict[tuple[str, str, str, int, str], tuple[str, str]]:
    verdicts = {}
    if not path.exists():
        return verdicts
    with open(path, newline="") as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) < 7 or row[0].startswith("#"):
                continue
            case, side, file, line, code, verdict, reason = row[:7]
            verdicts[(case, side, file, int(line), code)] = (verdict.strip().lower(), reason)
    return verdicts


def findings(cmd: str, case_dir: Path, side: str) -> list[dict]:
    argv = shlex.split(cmd) + ["check", "--format", "json", "--no-cache", "--exit-zero", side + "/"]
    proc = subprocess.run(argv, cwd=case_dir, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"{case_dir.name} {side}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
    out = []
    for f in json.loads(proc.stdout or "[]"):
        path = f["path"].replace("\\", "/")
        path = path.split(f"{side}/", 1)[1] if path.startswith(f"{side}/") else path
        out.append({"case": case_dir.name, "side": side, "path": path, "line": f["line"], "code": f["code"],
                    "message": f["message"]})
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--verdicts", default=str(VERDICTS))
    ap.add_argument("--bn-lint", default=f"{sys.executable} -m bn_lint")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--unjudged", help="write the findings not judged yet here (TSV rows to fill in)")
    ap.add_argument("--min-precision", type=float)
    args = ap.parse_args()
    cases = sorted(p for p in (Path(args.corpus) / "cases").iterdir() if p.is_dir())
    jobs = [(case, side) for case in cases for side in ("pre", "post") if (case / side).is_dir()]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda job: findings(args.bn_lint, *job), jobs))
    verdicts = read_verdicts(Path(args.verdicts))
    counts: dict[str, Counter] = defaultdict(Counter)
    unjudged, debatable, false, notebook_syntax = [], [], [], []
    for found in results:
        for f in found:
            if f["code"] == "BN900" and f["path"].endswith(".ipynb"):
                notebook_syntax.append(f)
            if not correctness(f["code"]):
                continue
            verdict = verdicts.get((f["case"], f["side"], f["path"], f["line"], f["code"]))
            if verdict is None:
                unjudged.append(f)
                counts[f["code"]]["unjudged"] += 1
                continue
            counts[f["code"]][verdict[0]] += 1
            if verdict[0] == "debatable":
                debatable.append((f, verdict[1]))
            elif verdict[0] == "false":
                false.append((f, verdict[1]))
    total = Counter()
    print(f"{'code':6} {'true':>5} {'false':>5} {'debat':>5} {'unjud':>5}")
    for code in sorted(counts):
        c = counts[code]
        total.update(c)
        print(f"{code:6} {c['true']:5} {c['false']:5} {c['debatable']:5} {c['unjudged']:5}")
    judged = total["true"] + total["false"]
    precision = total["true"] / judged if judged else 1.0
    print(f"findings {sum(total.values())}: true {total['true']}, false {total['false']}, debatable "
          f"{total['debatable']}, unjudged {total['unjudged']}; precision {precision:.2f} "
          f"({len(cases)} cases, pre and post)")
    print(f"notebook BN900: {len(notebook_syntax)}")
    for f, why in false:
        print(f"  FALSE {f['case']} {f['side']} {f['path']}:{f['line']} {f['code']}: {why}")
    for f in unjudged:
        print(f"  UNJUDGED {f['case']} {f['side']} {f['path']}:{f['line']} {f['code']} {f['message'][:100]}")
    if args.unjudged:
        with open(args.unjudged, "w", newline="") as out:
            writer = csv.writer(out, delimiter="\t", lineterminator="\n")
            for f in unjudged:
                writer.writerow([f["case"], f["side"], f["path"], f["line"], f["code"], "?", "", f["message"][:80]])
    if args.min_precision is not None and (precision < args.min_precision or unjudged):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
