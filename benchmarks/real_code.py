"""bn-lint on real code: findings per checkout, and what changed between two runs.

A *target* is one folder under a root (default roots: ``/work/corpus/src``,
unzipped library wheels, and ``/work/corpus/repos``, archives of training-code
repositories; see ``benchmarks/real_code.md`` for how they were made). Nothing
in them is imported: bn-lint only reads them.

    # findings of this checkout's bn_lint (or another's) on every target
    python benchmarks/real_code.py run -o base.json --bn-lint-root /work/main
    # the committed state of a branch (exported with git archive; the worktree's edits left out)
    python benchmarks/real_code.py run -o modes.json --bn-lint-ref modes
    # new / gone findings, keyed by target, file, code and the finding line's text
    python benchmarks/real_code.py diff base.json branch.json [--verdicts benchmarks/real_code_verdicts.tsv]
    # per-target, per-code counts as a markdown table
    python benchmarks/real_code.py counts base.json
    # the findings with their hand verdicts, and true/false/debatable per code
    python benchmarks/real_code.py table base.json --ignore BN204,BN206

Each target runs as ``nice -n 10 python -m bn_lint check --no-cache --exit-zero
--format json --jobs 1 .`` in the target folder, with ``PYTHONPATH`` set to
``--bn-lint-root`` (default: this checkout). The verdicts file is a TSV
(target, path, line, code, verdict, reason) of findings judged by hand; ``diff``
shows the verdict beside a finding already judged.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROOTS = ("/work/corpus/src", "/work/corpus/repos")


def _line_text(path: Path, line: int, cell: int | None = None) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        if cell is not None:  # a notebook finding: the line is within its cell (1-based, all cells)
            source = json.loads(text)["cells"][cell - 1]["source"]
            text = source if isinstance(source, str) else "".join(source)
        lines = text.splitlines()
    except (OSError, ValueError, KeyError, IndexError):
        return ""
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def run_target(target: Path, bn_lint_root: Path, timeout: int) -> dict:
    """Findings of one target, each with the stripped text of its line."""
    env = dict(os.environ, PYTHONPATH=str(bn_lint_root))
    cmd = ["nice", "-n", "10", sys.executable, "-m", "bn_lint", "check", "--no-cache",
           "--exit-zero", "--format", "json", "--jobs", "1", "."]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=target, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"rc": None, "error": f"timeout after {timeout}s", "findings": []}
    seconds = round(time.monotonic() - start, 1)
    try:
        raw = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return {"rc": proc.returncode, "seconds": seconds, "findings": [],
                "error": (proc.stderr or proc.stdout)[-2000:]}
    findings = [{"code": f["code"], "severity": f["severity"],
                 "path": f["path"] + (f"#cell{f['cell']}" if f.get("cell") else ""),
                 "line": f["line"], "text": _line_text(target / f["path"], f["line"], f.get("cell")),
                 "message": f["message"]} for f in raw]
    findings.sort(key=lambda f: (f["path"], f["line"], f["code"]))
    out = {"rc": proc.returncode, "seconds": seconds, "findings": findings}
    if proc.returncode not in (0,):
        out["error"] = proc.stderr[-2000:]
    return out


def _commit(root: Path) -> str:
    proc = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True)
    return proc.stdout.strip() or "?"


def _export(ref: str) -> tuple[Path, str]:
    """The files of ``ref`` (a branch or commit of this repository) in a fresh folder."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", ref],
                            capture_output=True, text=True, check=True).stdout.strip()
    dest = Path(tempfile.mkdtemp(prefix=f"bn-lint-{commit}-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest, commit


def cmd_run(args: argparse.Namespace) -> int:
    if args.bn_lint_ref:
        bn_root, commit = _export(args.bn_lint_ref)
    else:
        bn_root = Path(args.bn_lint_root).resolve()
        commit = _commit(bn_root)
    targets = [p for r in args.roots for p in sorted(Path(r).iterdir())
               if p.is_dir() and not p.name.startswith(".")]
    if args.only:
        targets = [t for t in targets if t.name in args.only]
    result = {"bn_lint_root": str(bn_root), "ref": args.bn_lint_ref, "commit": commit,
              "targets": {}}
    for target in targets:
        res = run_target(target, bn_root, args.timeout)
        res["root"] = str(target.parent)
        result["targets"][target.name] = res
        print(f"{target.name:32} {len(res['findings']):5} findings  {res.get('seconds', '-')}s"
              + (f"  ERROR {res['error'][-200:]!r}" if res.get("error") else ""), file=sys.stderr)
    Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
    if args.bn_lint_ref:
        shutil.rmtree(bn_root, ignore_errors=True)
    return 0


def _load(path: str) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        sys.exit(f"real_code.py: cannot read run {path}: {exc}")


def _key(target: str, f: dict) -> tuple:
    return (target, f["code"], f["path"], f["text"])


def _multiset(run: dict) -> collections.Counter:
    return collections.Counter(_key(t, f) for t, r in run["targets"].items()
                               for f in r["findings"])


def load_verdicts(path: str | None) -> dict:
    """(target, path, line, code) -> (verdict, reason) from the TSV."""
    verdicts = {}
    if path and Path(path).exists():
        for row in Path(path).read_text().splitlines():
            if row.strip() and not row.startswith("#"):
                target, fpath, line, code, verdict, reason = (row.split("\t") + [""] * 6)[:6]
                verdicts[(target, fpath, int(line), code)] = (verdict, reason)
    return verdicts


def cmd_diff(args: argparse.Namespace) -> int:
    old, new = _load(args.old), _load(args.new)
    common = old["targets"].keys() & new["targets"].keys()
    for label, run in (("old", old), ("new", new)):
        if run["targets"].keys() - common:
            print(f"(only in {label}, not compared: {', '.join(sorted(run['targets'].keys() - common))})")
        run["targets"] = {t: r for t, r in run["targets"].items() if t in common}
        for t, r in run["targets"].items():
            if r.get("error"):
                print(f"({label} {run.get('commit', '?')}: {t}: {r['error'].strip()[-300:]})")
    ignore = set(args.ignore.split(",")) if args.ignore else set()
    verdicts = load_verdicts(args.verdicts)
    for label, a, b in (("NEW", new, old), ("GONE", old, new)):
        extra = _multiset(a) - _multiset(b)
        rows = [(t, f) for t, r in a["targets"].items() for f in r["findings"]
                if extra.get(_key(t, f), 0) > 0 and f["code"] not in ignore]
        seen = collections.Counter()
        print(f"## {label}: {sum(1 for _ in rows)} findings "
              f"({', '.join(f'{c} {n}' for c, n in sorted(collections.Counter(f['code'] for _, f in rows).items()))})")
        for t, f in rows:
            k = _key(t, f)
            seen[k] += 1
            if seen[k] > extra[k]:
                continue
            v = verdicts.get((t, f["path"], f["line"], f["code"]))
            mark = f"[{v[0]}: {v[1]}]" if v else "[unjudged]"
            print(f"{t}\t{f['path']}:{f['line']}\t{f['code']}\t{mark}\n    {f['text']}\n    {f['message']}")
    return 0


def cmd_counts(args: argparse.Namespace) -> int:
    run = _load(args.run)
    codes = sorted({f["code"] for r in run["targets"].values() for f in r["findings"]})
    print("| target | " + " | ".join(codes) + " | total |")
    print("|---" * (len(codes) + 2) + "|")
    for t, r in run["targets"].items():
        c = collections.Counter(f["code"] for f in r["findings"])
        print(f"| {t} | " + " | ".join(str(c.get(x, "")) for x in codes) + f" | {sum(c.values())} |")
    return 0


def cmd_table(args: argparse.Namespace) -> int:
    """Markdown table of a run's findings with their verdicts, and true/false per code."""
    run = _load(args.run)
    ignore = set(args.ignore.split(",")) if args.ignore else set()
    verdicts = load_verdicts(args.verdicts)
    tally = collections.defaultdict(collections.Counter)
    print("| target | file:line | code | verdict | reason |\n|---|---|---|---|---|")
    for t, r in run["targets"].items():
        for f in r["findings"]:
            if f["code"] in ignore:
                continue
            verdict, reason = verdicts.get((t, f["path"], f["line"], f["code"]), ("unjudged", ""))
            tally[f["code"]][verdict] += 1
            print(f"| {t} | {f['path']}:{f['line']} | {f['code']} | {verdict} | {reason} |")
    print("\n| code | " + " | ".join(("true", "false", "debatable", "unjudged")) + " |\n|---|---|---|---|---|")
    for code, c in sorted(tally.items()):
        print(f"| {code} | " + " | ".join(str(c[v]) for v in ("true", "false", "debatable", "unjudged")) + " |")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run bn-lint on every target, write JSON")
    r.add_argument("roots", nargs="*", default=list(DEFAULT_ROOTS))
    r.add_argument("-o", "--output", required=True)
    r.add_argument("--bn-lint-root", default=str(ROOT), help="checkout whose bn_lint runs")
    r.add_argument("--bn-lint-ref", help="git ref of this repository to export and run instead")
    r.add_argument("--only", nargs="*", help="target folder names to run")
    r.add_argument("--timeout", type=int, default=1800, help="seconds per target")
    d = sub.add_parser("diff", help="new / gone findings between two runs")
    d.add_argument("old")
    d.add_argument("new")
    d.add_argument("--ignore", help="codes to leave out, comma-separated")
    d.add_argument("--verdicts", help="TSV of judged findings")
    c = sub.add_parser("counts", help="markdown table of counts per target and code")
    c.add_argument("run")
    t = sub.add_parser("table", help="markdown table of judged findings and true/false per code")
    t.add_argument("run")
    t.add_argument("--ignore", help="codes to leave out, comma-separated")
    t.add_argument("--verdicts", default=str(ROOT / "benchmarks" / "real_code_verdicts.tsv"))
    args = ap.parse_args(argv)
    return {"run": cmd_run, "diff": cmd_diff, "counts": cmd_counts, "table": cmd_table}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
