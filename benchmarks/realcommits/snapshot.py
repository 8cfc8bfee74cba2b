#!/usr/bin/env python3
"""Write one fix-commit case's snapshots: the parent (pre/) and the fix (post/) of a commit.

Usage: snapshot.py GIT_DIR PARENT FIX CASE_DIR BUG_FILE [--max-files N]

GIT_DIR is a bare mirror (``fetch``); PARENT and FIX are commits; BUG_FILE the labelled file's
path in the repository. Keeps the .py, .ipynb, pyproject.toml and setup.cfg files of each
commit, verbatim. Where the parent has more than N Python files (default 250), both sides keep
only the bug file's import closure: the files it imports, transitively (absolute imports resolved
from the repository root and from every folder that holds a top-level package, relative imports
from the importing file), with the ``__init__.py`` of every package on the way. Prints what it kept.
"""
from __future__ import annotations

import argparse
import ast
import io
import subprocess
import sys
import tarfile
from pathlib import PurePosixPath

KEEP_SUFFIXES = (".py", ".ipynb")
KEEP_NAMES = ("pyproject.toml", "setup.cfg")
MAX_BYTES = 2 * 1024 * 1024


def _kept(name: str) -> bool:
    return name.endswith(KEEP_SUFFIXES) or PurePosixPath(name).name in KEEP_NAMES


def files_at(git_dir: str, commit: str) -> dict[str, bytes]:
    """Path -> content of the kept files of a commit (read one by one where the mirror lacks some large
    blobs and ``git archive`` fails: the same selection, less what is missing)."""
    done = subprocess.run(["git", "--git-dir", git_dir, "archive", "--format=tar", commit], capture_output=True)
    if done.returncode != 0:
        return _files_one_by_one(git_dir, commit)
    data = done.stdout
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar:
            if not member.isfile() or member.size > MAX_BYTES:
                continue
            name = member.name
            if _kept(name):
                out[name] = tar.extractfile(member).read()
    return out


def _files_one_by_one(git_dir: str, commit: str) -> dict[str, bytes]:
    listing = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "-r", "-l", "-z", commit],
                             check=True, capture_output=True).stdout
    out: dict[str, bytes] = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, name_bytes = entry.partition(b"\t")
        _mode, kind, sha, size = meta.split()
        name = name_bytes.decode("utf-8", "surrogateescape")
        if kind != b"blob" or not _kept(name) or (size.isdigit() and int(size) > MAX_BYTES):  # ("BAD": missing)
            continue
        blob = subprocess.run(["git", "--git-dir", git_dir, "cat-file", "blob", sha.decode()], capture_output=True)
        if blob.returncode == 0:
            out[name] = blob.stdout
    return out


def _module_index(paths: list[str]) -> dict[str, str]:
    """Dotted module name -> path, from the root and from every folder holding a package."""
    roots = {""}
    for p in paths:
        parts = p.split("/")
        for i in range(len(parts) - 1):
            roots.add("/".join(parts[:i]))
    index: dict[str, str] = {}
    for p in sorted(paths, key=len):
        if not p.endswith(".py"):
            continue
        for root in roots:
            if root and not p.startswith(root + "/"):
                continue
            rel = p[len(root) + 1:] if root else p
            mod = rel[:-3].replace("/", ".")
            if mod.endswith(".__init__"):
                mod = mod[: -len(".__init__")]
            index.setdefault(mod, p)
    return index


def _imports(path: str, text: bytes) -> set[str]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    package = PurePosixPath(path).parent.parts
    if PurePosixPath(path).name == "__init__.py":
        package = PurePosixPath(path).parent.parts
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                prefix = "/".join(base)
                mod = (prefix + "/" + (node.module or "").replace(".", "/")).strip("/")
                names.add("/" + mod)
                names.update("/" + (mod + "/" + a.name).strip("/") for a in node.names)
            elif node.module:
                names.add(node.module)
                names.update(node.module + "." + a.name for a in node.names)
    return names


def closure(files: dict[str, bytes], start: str) -> set[str]:
    """The files ``start`` imports, transitively, with their packages' __init__.py."""
    index = _module_index(list(files))
    by_path = {p[:-3]: p for p in files if p.endswith(".py")}
    by_path.update({p[: -len("/__init__.py")]: p for p in files if p.endswith("/__init__.py")})
    seen: set[str] = set()
    todo = [start]
    while todo:
        path = todo.pop()
        if path in seen or path not in files:
            continue
        seen.add(path)
        parts = PurePosixPath(path).parent.parts
        for i in range(1, len(parts) + 1):
            init = "/".join(parts[:i]) + "/__init__.py"
            if init in files:
                todo.append(init)
        if not path.endswith(".py"):
            continue
        for name in _imports(path, files[path]):
            if name.startswith("/"):
                target = by_path.get(name[1:])
            else:
                target = index.get(name)
            if target:
                todo.append(target)
    return seen


def write(files: dict[str, bytes], keep: set[str] | None, out: str) -> int:
    import os

    n = 0
    for path, content in files.items():
        if keep is not None and path not in keep and PurePosixPath(path).name not in KEEP_NAMES:
            continue
        dest = os.path.join(out, path)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(content)
        n += 1
    return n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("git_dir")
    ap.add_argument("parent")
    ap.add_argument("fix")
    ap.add_argument("case_dir")
    ap.add_argument("bug_file")
    ap.add_argument("--max-files", type=int, default=250)
    args = ap.parse_args()
    pre = files_at(args.git_dir, args.parent)
    post = files_at(args.git_dir, args.fix)
    if args.bug_file not in pre:
        print(f"{args.bug_file} is not in the parent commit", file=sys.stderr)
        return 2
    keep = None
    if sum(p.endswith(".py") for p in pre) > args.max_files:
        keep = closure(pre, args.bug_file) | closure(post, args.bug_file)
    n_pre = write(pre, keep, args.case_dir + "/pre")
    n_post = write(post, keep, args.case_dir + "/post")
    how = "whole repository" if keep is None else "import closure of " + args.bug_file
    print(f"pre/: {n_pre} files, post/: {n_post} files ({how})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
