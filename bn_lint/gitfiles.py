"""The files git would list under a folder: tracked, plus untracked ones that no ignore rule covers.

Inside a git work tree the ignore rules are git's own (``git ls-files --exclude-standard``): every
``.gitignore`` with negations across folders, ``.git/info/exclude`` and the user's global
``core.excludesFile``. None when the folder is not in a work tree or git cannot be run: the
caller then walks the folder itself.
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from typing import Callable

# variables a hook (git commit -> pre-commit) may set that point git at another repository or index
_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY")
_UNREADABLE = re.compile(r"could not open directory '([^']*)'")


@dataclass
class Listing:
    files: list[str]  # paths under the folder, as ``os.path.join(folder, relative)``
    unreadable: list[str] = field(default_factory=list)  # sub-folders git could not open


def in_work_tree(folder: str) -> bool:
    """Whether a ``.git`` (folder or file) is in ``folder`` or above it."""
    current = os.path.abspath(folder)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return True
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


def list_files(folder: str) -> Listing | None:
    """What git lists under ``folder`` (not ignored), or None when git does not apply."""
    if not in_work_tree(folder):
        return None
    env = {key: value for key, value in os.environ.items() if key not in _GIT_ENV}
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotePath=false", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=folder, env=env, capture_output=True, timeout=120,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None  # (not a work tree after all, e.g. inside .git, or a broken repository)
    names = [os.fsdecode(raw) for raw in proc.stdout.split(b"\0") if raw]
    prefix = "" if folder in (".", "") else folder
    files = sorted({os.path.join(prefix, name) if prefix else name for name in names})
    stderr = proc.stderr.decode("utf-8", "replace")
    unreadable = [os.path.join(prefix, m.rstrip("/")) if prefix else m.rstrip("/") for m in _UNREADABLE.findall(stderr)]
    return Listing(files, unreadable)


def files_importing(folder: str, words: list[str]) -> list[str] | None:
    """The Python files under ``folder`` that git lists and whose import statements may name one of
    ``words`` (a line ``from/import ... word``, or ``word`` alone on a continuation line of a
    parenthesised import); None when git does not apply. A superset: the caller resolves the imports."""
    return start_files_importing(folder, words)()


def start_files_importing(folder: str, words: list[str]) -> "Callable[[], list[str] | None]":
    """``files_importing``, begun: git searches while the caller goes on; calling the result waits
    for it (a one-file check of a hook runs its git grep beside the check, not after it)."""
    if not words or not in_work_tree(folder):
        return lambda: None
    alternatives = "|".join(re.escape(word) for word in words)
    perl = (rf"^\s*(?:from|import)\s.*(?<!\w)(?:{alternatives})(?!\w)"  # `from a.model import Net`, `import model`
            rf"|^\s*(?:{alternatives})(?:\s+as\s+\w+)?\s*,?\s*\)?\s*(?:#.*)?$")  # `    model,` inside `from . import (`
    started = _start_grep(folder, ["-P", "-e", perl], None)

    def result() -> list[str] | None:
        proc = started()
        if proc is None or proc.returncode not in (0, 1):  # (git without PCRE: the words anywhere, as fixed strings)
            proc = _grep(folder, ["-F", "-w", "-f", "-"], "\n".join(words).encode())
        if proc is None or proc.returncode not in (0, 1):  # (1: no file matched)
            return None
        prefix = "" if folder in (".", "") else folder
        return sorted(os.path.join(prefix, name) if prefix else name
                      for name in (os.fsdecode(raw) for raw in proc.stdout.split(b"\0") if raw))

    return result


def _grep(folder: str, patterns: list[str], stdin: bytes | None) -> subprocess.CompletedProcess | None:
    return _start_grep(folder, patterns, stdin)()


def _start_grep(folder: str, patterns: list[str],
                stdin: bytes | None) -> "Callable[[], subprocess.CompletedProcess | None]":
    """``git grep -l`` of ``patterns`` under ``folder``, started; the result waits for it (None if git
    cannot be run or takes over two minutes)."""
    env = {key: value for key, value in os.environ.items() if key not in _GIT_ENV}
    args = ["git", "-c", "core.quotePath=false", "grep", "-l", "-z", "-I", "--untracked", *patterns, "--", "*.py", "*.pyi"]
    try:
        proc = subprocess.Popen(args, cwd=folder, env=env, stdin=subprocess.PIPE if stdin is not None else None,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except (OSError, subprocess.SubprocessError):
        return lambda: None

    def result() -> subprocess.CompletedProcess | None:
        try:
            out, err = proc.communicate(stdin, timeout=120)
        except (OSError, subprocess.SubprocessError):
            proc.kill()
            proc.communicate()
            return None
        return subprocess.CompletedProcess(args, proc.returncode, out, err)

    return result
