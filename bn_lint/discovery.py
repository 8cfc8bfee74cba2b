"""Which files to check: recursive discovery honouring .gitignore and excludes."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import ConfigError, Settings

if TYPE_CHECKING:  # pragma: no cover
    import pathspec

PY_SUFFIXES = (".py", ".pyi", ".ipynb")


@dataclass(frozen=True)
class Discovered:
    files: list[str]
    missing: list[str]


def discover(paths: list[str], settings: Settings) -> Discovered:
    """Files to check under ``paths``, sorted, without duplicates.

    A file named explicitly is always checked; directories are walked without
    following symbolic links, skipping excluded and git-ignored entries.
    """
    excludes = None  # built on the first directory: checking named files does not import pathspec
    found: dict[str, None] = {}
    missing: list[str] = []
    for raw in paths:
        if os.path.isdir(raw):
            if excludes is None:
                import pathspec

                excludes = pathspec.GitIgnoreSpec.from_lines(list(settings.exclude) + list(settings.extend_exclude))
            for path in _walk(raw, excludes, settings.root):
                found.setdefault(path, None)
        elif os.path.lexists(raw):
            found.setdefault(os.path.normpath(raw), None)
        else:
            missing.append(raw)
    return Discovered(sorted(found), missing)


def _walk(top: str, excludes: pathspec.PathSpec, root: Path) -> list[str]:
    out: list[str] = []
    # (directory, gitignore specs that apply: (base dir, spec))
    stack: list[tuple[str, tuple[tuple[str, pathspec.PathSpec], ...]]] = [(os.path.normpath(top), _parent_ignores(top))]
    while stack:
        directory, ignores = stack.pop()
        ignores = ignores + _gitignore(directory)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            path = os.path.join(directory, entry.name) if directory != "." else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()  # follows a link to a file
            except OSError:
                continue
            if _excluded(path, is_dir, excludes, root) or _ignored(path, is_dir, ignores):
                continue
            if is_dir:
                stack.append((path, ignores))
            elif entry.name.endswith(PY_SUFFIXES) and (is_file or entry.is_symlink()):
                out.append(path)
    return out


def _excluded(path: str, is_dir: bool, spec: pathspec.PathSpec, root: Path) -> bool:
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, root)
    except ValueError:  # pragma: no cover - other drive on Windows
        rel = path
    if rel.startswith(".."):
        rel = path
    candidate = rel.replace(os.sep, "/") + ("/" if is_dir else "")
    return spec.match_file(candidate) or spec.match_file(os.path.basename(path) + ("/" if is_dir else ""))


def _gitignore(directory: str) -> tuple[tuple[str, pathspec.PathSpec], ...]:
    path = os.path.join(directory, ".gitignore")
    import pathspec

    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return ((directory, pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())),)
    except OSError:
        return ()


def _parent_ignores(top: str) -> tuple[tuple[str, pathspec.PathSpec], ...]:
    """.gitignore files of the directories above ``top`` inside the same git work tree."""
    absolute = Path(top).resolve()
    specs: list[tuple[str, pathspec.PathSpec]] = []
    for parent in absolute.parents:
        specs.extend(_gitignore(str(parent)))
        if (parent / ".git").exists():
            break
    else:
        return ()
    # paths are matched relative to each spec's directory, so keep absolute bases
    return tuple(reversed(specs))


def _ignored(path: str, is_dir: bool, ignores: tuple[tuple[str, pathspec.PathSpec], ...]) -> bool:
    if not ignores:
        return False
    absolute = os.path.abspath(path)
    for base, spec in ignores:
        rel = os.path.relpath(absolute, os.path.abspath(base))
        if rel.startswith(".."):
            continue
        if spec.match_file(rel.replace(os.sep, "/") + ("/" if is_dir else "")):
            return True
    return False


__all__ = ["discover", "Discovered", "ConfigError", "PY_SUFFIXES"]
