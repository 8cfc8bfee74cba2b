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
