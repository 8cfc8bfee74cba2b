"""Delete each `m.eval()` of real projects, one at a time, and see whether bn-lint notices.

python benchmarks/eval_deletion.py --bn-lint "python -m bn_lint" --out FILE.jsonl SNAPSHOT_DIR...

A real project's fixed code puts its models in eval mode where they are evaluated. Deleting
one such statement (`X.eval()`, `X.train(False)`) recreates the most common BatchNorm bug of
the fix-commit corpora in code nobody here wrote, hundreds of times over: a mode-rule finding
(BN101, BN103, BN104) that appears after the deletion is a detection; silence is a miss to
judge (a deletion before no evaluation, or on a model without BatchNorm, is no bug). Evals that freeze
BatchNorm on purpose (in `train()` overrides, `freeze_bn`-like helpers, loops over a model's layers) are
left alone, and at most --per-project sites of each snapshot are tried (a fixed sample). Each
snapshot is copied to a temporary folder; the statement becomes `pass` so no line moves. One
JSON line per site: file, line, enclosing function, the new findings.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor

MODE_CODES = {"BN101", "BN103", "BN104"}


def eval_sites(root: str) -> list[tuple[str, int, int, str]]:
    """(relative path, first line, last line, enclosing function) of every eval statement."""
    sites = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as handle:
                    tree = ast.parse(handle.read())
            except (SyntaxError, ValueError):
                continue
            rel = os.path.relpath(path, root)
            sites.extend((rel, *site) for site in _sites_in(tree))
    return sites


# functions whose eval() freezes BatchNorm layers on purpose (`def train(self, mode)` overrides, `freeze_bn`):
# deleting it makes another bug (BN105's), not a missing evaluation mode
_FREEZING = re.compile(r"^(train|__init__|_?(freeze|fix|set)_?\w*|\w*_bn\w*|\w*batchnorm\w*|\w*norm\w*)$", re.I)


def _sites_in(tree: ast.AST):
    def visit(node: ast.AST, function: str, loop_var: set):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from visit(child, child.name, set())
            elif isinstance(child, ast.Expr) and _is_eval_call(child.value):
                receiver = child.value.func.value
                if not _FREEZING.match(function) and not (isinstance(receiver, ast.Name) and receiver.id in loop_var):
                    yield child.lineno, child.end_lineno or child.lineno, function
            elif isinstance(child, ast.For) and isinstance(child.target, ast.Name):
                # (`for m in net.modules(): ... m.eval()`: layers put in eval one by one, a freeze)
                yield from visit(child, function, loop_var | {child.target.id})
            else:
                yield from visit(child, function, loop_var)

    yield from visit(tree, "<module>", set())


def _is_eval_call(value: ast.expr) -> bool:
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
        return False
    if value.func.attr == "eval":
        return not value.args and not value.keywords
    if value.func.attr == "train":
        given = value.args[:1] or [k.value for k in value.keywords if k.arg == "mode"]
        return bool(given) and isinstance(given[0], ast.Constant) and given[0].value is False
    return False


def findings(cmd: str, root: str, cache: str | None) -> set[tuple[str, str, int]]:
    argv = shlex.split(cmd) + ["check", "--format", "json", "--exit-zero", "-j", "1", "."]
    argv[-1:-1] = ["--cache-dir", cache] if cache else ["--no-cache"]
    run = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=600)
    try:
        reported = json.loads(run.stdout or "[]")
    except json.JSONDecodeError:
        return {("ERROR", run.stderr[-200:], 0)}
    return {(f["code"], os.path.normpath(f["path"]), f["line"]) for f in reported if f["code"] in MODE_CODES}


def snapshot_sites(job: tuple[str, str]) -> list[dict]:
    cmd, snapshot, cached, limit, excluded, only = job
    results = []
    with tempfile.TemporaryDirectory(prefix="evaldel-") as tmp:
        root = os.path.join(tmp, "project")
        shutil.copytree(snapshot, root, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        cache = os.path.join(tmp, "cache") if cached else None
        before = findings(cmd, root, cache)
        sites = [site for site in eval_sites(root) if (snapshot, site[0], site[1]) not in excluded
                 and (only is None or (snapshot, site[0], site[1]) in only)]
        if len(sites) > limit:  # (a few per project: a big one does not outweigh the rest)
            sites = sorted(random.Random(snapshot).sample(sites, limit))
        for rel, first, last, function in sites:
            path = os.path.join(root, rel)
            with open(path, "rb") as handle:
                original = handle.read()
            lines = original.split(b"\n")
            indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
            lines[first - 1 : last] = [indent + b"pass"] + [b""] * (last - first)
            with open(path, "wb") as handle:
                handle.write(b"\n".join(lines))
            try:
                after = findings(cmd, root, cache)
            finally:
                with open(path, "wb") as handle:
                    handle.write(original)
            new = sorted(after - before)
            results.append({"snapshot": snapshot, "file": rel, "line": first, "function": function,
                            "new": [list(f) for f in new], "detected": bool(new)})
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bn-lint", required=True, help="bn-lint command (may include arguments)")
    parser.add_argument("--out", required=True, help="JSON-lines file of the sites")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-cache", action="store_true", help="check every run afresh (slower)")
    parser.add_argument("--per-project", type=int, default=5, help="at most this many sites per snapshot")
    parser.add_argument("--exclude", help="a JSON-lines file of sites already tried (a held-out sample: the others)")
    parser.add_argument("--only", help="a JSON-lines file of the sites to try (another version on the same sites)")
    parser.add_argument("snapshots", nargs="+")
    args = parser.parse_args()
    excluded = set()
    if args.exclude:
        with open(args.exclude) as handle:
            excluded = {(row["snapshot"], row["file"], row["line"]) for row in map(json.loads, handle)}
    only = None
    if args.only:
        with open(args.only) as handle:
            only = {(row["snapshot"], row["file"], row["line"]) for row in map(json.loads, handle)}
    jobs = [(args.bn_lint, os.path.abspath(s), not args.no_cache, args.per_project,
             {site for site in excluded if site[0] == os.path.abspath(s)},
             None if only is None else {site for site in only if site[0] == os.path.abspath(s)})
            for s in args.snapshots if only is None or any(site[0] == os.path.abspath(s) for site in only)]
    total = found = 0
    with open(args.out, "w") as out, ProcessPoolExecutor(args.jobs) as pool:
        for results in pool.map(snapshot_sites, jobs):
            for row in results:
                out.write(json.dumps(row) + "\n")
                total += 1
                found += row["detected"]
            out.flush()
    print(f"{found} of {total} deleted evals noticed ({found / max(total, 1):.2f})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
