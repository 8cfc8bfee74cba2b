"""Which files to check: recursive discovery honouring .gitignore and excludes."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import gitfiles
from .config import ConfigError, Settings

if TYPE_CHECKING:  # pragma: no cover
    import pathspec

PY_SUFFIXES = (".py", ".pyi", ".ipynb")


@dataclass(frozen=True)
class Discovered:
    files: list[str]
    missing: list[str]
    unreadable: list[str] = field(default_factory=list)  # folders that could not be listed


def exclude_spec(patterns: list[str]) -> "pathspec.PathSpec":
    """The ``exclude`` patterns as a spec; a pattern that is not valid gitignore syntax is a ConfigError."""
    import pathspec

    try:
        return pathspec.GitIgnoreSpec.from_lines(patterns)
    except Exception:  # pathspec raises its own errors, and re.error for a bad [a-] range: which pattern?
        for pattern in patterns:
            try:
                pathspec.GitIgnoreSpec.from_lines([pattern])
            except Exception as error:
                raise ConfigError(f"exclude: invalid pattern {pattern!r}: {error}") from None
        raise


def discover(paths: list[str], settings: Settings) -> Discovered:
    """Files to check under ``paths``, sorted, without duplicates.

    A file named explicitly is always checked; directories are walked without
    following symbolic links, skipping excluded and git-ignored entries (inside a
    git work tree, git itself says what is ignored).
    """
    excludes = None  # built on the first directory: checking named files does not import pathspec
    found: dict[str, None] = {}
    missing: list[str] = []
    unreadable: list[str] = []
    for raw in paths:
        if os.path.isdir(raw):
            if excludes is None:
                excludes = exclude_spec(list(settings.exclude) + list(settings.extend_exclude))
            listing = gitfiles.list_files(raw)
            if listing is None:
                files = _walk(raw, excludes, settings.root, unreadable)
            else:
                files = _kept(listing.files, raw, excludes, settings.root)
                unreadable.extend(listing.unreadable)
            for path in files:
                found.setdefault(path, None)
        elif os.path.lexists(raw):
            found.setdefault(os.path.normpath(raw), None)
        else:
            missing.append(raw)
    return Discovered(sorted(found), missing, unreadable)


def kept(files: list[str], top: str, settings: Settings) -> list[str]:
    """``files`` (a git listing under ``top``) without those the ``exclude`` patterns cover."""
    if not files:
        return []  # (without importing pathspec: a hook's file that no other file imports)
    return _kept(files, top, exclude_spec(list(settings.exclude) + list(settings.extend_exclude)), settings.root)


def _kept(files: list[str], top: str, excludes: "pathspec.PathSpec", root: Path) -> list[str]:
    """The Python files of a git listing that no ``exclude`` pattern covers (nor any folder above them)."""
    out = []
    folders: dict[str, bool] = {}  # folder -> excluded (itself or a folder above it)

    def folder_excluded(folder: str) -> bool:
        if folder in ("", ".") or os.path.normpath(folder) == os.path.normpath(top):
            return False
        if folder not in folders:
            folders[folder] = folder_excluded(os.path.dirname(folder)) or _excluded(folder, True, excludes, root)
        return folders[folder]

    for path in files:
        if not path.endswith(PY_SUFFIXES) or not os.path.lexists(path) or os.path.isdir(path):
            continue  # (a tracked file deleted from the work tree; a submodule)
        if folder_excluded(os.path.dirname(path)) or _excluded(path, False, excludes, root):
            continue
        out.append(os.path.normpath(path))
    return out


def _walk(top: str, excludes: pathspec.PathSpec, root: Path, unreadable: list[str] | None = None) -> list[str]:
    out: list[str] = []
    # (directory, gitignore specs that apply: (base dir, spec))
    stack: list[tuple[str, tuple[tuple[str, pathspec.PathSpec], ...]]] = [(os.path.normpath(top), _parent_ignores(top))]
    while stack:
        directory, ignores = stack.pop()
        ignores = ignores + _gitignore(directory)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            if unreadable is not None:
                unreadable.append(directory)
            continue
        for entry in entries:
            path = os.path.join(directory, entry.name) if directory != "." else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()  # follows a link to a file
            except OSError:  # a symlink loop: listed, as git lists it, and reported as BN901 (cannot read)
                is_dir, is_file = False, False
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
            lines = handle.read().splitlines()
    except OSError:
        return ()
    return ((directory, pathspec.GitIgnoreSpec.from_lines([line for line in lines if _valid(line)])),)


def _valid(line: str) -> bool:
    """Whether pathspec accepts a .gitignore line (git skips the ones it cannot use, such as ``!`` or ``foo\\``)."""
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except Exception:  # pathspec's own errors, and re.error
        return False
    return True


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
    """As git decides: the .gitignore files from the top folder down, the last pattern that matches wins
    (so a deeper ``!name`` re-includes what a shallower file ignored)."""
    if not ignores:
        return False
    absolute = os.path.abspath(path)
    ignored = False
    for base, spec in ignores:
        rel = os.path.relpath(absolute, os.path.abspath(base))
        if rel.startswith(".."):
            continue
        outcome = spec.check_file(rel.replace(os.sep, "/") + ("/" if is_dir else ""))
        if outcome.include is not None:
            ignored = outcome.include
    return ignored


__all__ = ["discover", "Discovered", "ConfigError", "PY_SUFFIXES"]
