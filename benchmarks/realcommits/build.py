#!/usr/bin/env python3
"""Rebuild the fix-commit corpus (``cases/NNN/pre`` and ``post``) from the repositories' git histories.

Usage: build.py [--labels tests/data/realcommits/labels.json] [--mirrors DIR] [--clone] [--out DIR]

The repository keeps the labels, verdicts and miss map of the corpus, not the code of the
projects it was mined from. This writes each case's snapshots, as ``snapshot.py`` wrote them when
the case was mined, into ``--out`` (default ``.corpus-cache/realcommits``, ignored by git) and copies
the labels beside them, so that ``../shared/realcommits/score.py --corpus OUT`` and ``precision.py
--corpus OUT`` can run. A repository's history is read from ``MIRRORS/OWNER+NAME/repo`` (a bare
mirror); with ``--clone`` a missing one is made with ``git clone --mirror https://github.com/OWNER/NAME``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from snapshot import closure, files_at, write  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def mirror(mirrors: Path, repo: str, clone: bool) -> Path | None:
    path = mirrors / repo.replace("/", "+") / "repo"
    if (path / ".git").is_dir():
        return path / ".git"  # (a mirror with a work tree's layout)
    if path.exists():
        return path
    if not clone:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["git", "clone", "--quiet", "--mirror", f"https://github.com/{repo}", str(path)])
    return path if done.returncode == 0 else None


def build_case(case: dict, git_dir: Path, out: Path, max_files: int) -> str:
    """One case's snapshots; a label's ``snapshot`` says where its miner chose otherwise: ``max_files`` (a
    whole repository kept), ``closure_of`` (the import closure of another file: the script that runs the
    bug's module), ``also_keep`` (folders a script imports through ``sys.path``, which the closure misses)."""
    hint = case.get("snapshot", {})
    pre = files_at(str(git_dir), case["parent"])
    post = files_at(str(git_dir), case["fix"])
    keep = None
    if sum(p.endswith(".py") for p in pre) > hint.get("max_files", max_files):
        root = hint.get("closure_of", case["file"])
        keep = closure(pre, root) | closure(post, root)
        for folder in hint.get("also_keep", ()):
            keep |= {p for p in (*pre, *post) if p.startswith(folder)}
    target = out / "cases" / case["case"]
    if target.exists():
        shutil.rmtree(target)
    n_pre = write(pre, keep, str(target / "pre"))
    n_post = write(post, keep, str(target / "post"))
    return f"{case['case']}: pre {n_pre} files, post {n_post}" + ("" if keep is None else " (import closure)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", default=str(ROOT / "tests" / "data" / "realcommits" / "labels.json"))
    ap.add_argument("--mirrors", default="/work/.mirror")
    ap.add_argument("--clone", action="store_true")
    ap.add_argument("--out", default=str(ROOT / ".corpus-cache" / "realcommits"))
    ap.add_argument("--max-files", type=int, default=250)
    args = ap.parse_args()
    labels = json.loads(Path(args.labels).read_text())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    missing = []
    for case in labels:
        git_dir = mirror(Path(args.mirrors), case["repo"], args.clone)
        if git_dir is None:
            missing.append(case["repo"])
            continue
        print(build_case(case, git_dir, out, args.max_files))
    (out / "labels.json").write_text(json.dumps([c for c in labels if c["repo"] not in missing], indent=1))
    if missing:
        print(f"no history for {len(set(missing))} repositories (use --clone): {', '.join(sorted(set(missing)))}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
