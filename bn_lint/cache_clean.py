"""Keeping the result cache small: ``bn-lint clean`` removes it, and each run prunes stale entries.

An entry is used (its modification time set) on every hit; entries unused for ``MAX_AGE_DAYS`` —
older versions of edited files, other settings, older bn-lint versions — are removed, by a scan
made at most once a day (the time of the last one is kept in ``.last-prune``).
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

MAX_AGE_DAYS = 30
_DAY = 24 * 3600
_TAG = "CACHEDIR.TAG"
_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"


def is_cache(directory: Path) -> bool:
    """Whether ``directory`` is a bn-lint cache (its cache directory tag written by bn-lint)."""
    try:
        text = (directory / _TAG).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return text.startswith(_SIGNATURE) and "bn-lint" in text


def clean(directory: Path) -> str:
    """Remove the cache ``directory``; a one-line account of what was done. OSError if it cannot be."""
    if not directory.exists():
        return f"no cache at {directory}"
    if not is_cache(directory):
        raise OSError(f"{directory} is not a bn-lint cache (no bn-lint CACHEDIR.TAG): not removed")
    count = sum(len(files) for _, _, files in os.walk(directory))
    shutil.rmtree(directory)
    return f"removed {directory} ({count} file{'s' if count != 1 else ''})"


_NOT_SEARCHED = frozenset({".git", ".hg", ".svn", "node_modules", "site-packages", "__pycache__"})


def caches_under(folder: str | os.PathLike) -> list[Path]:
    """The bn-lint caches in ``folder`` and below (tagged ``CACHEDIR.TAG``s, whatever their name: a check of
    ``folder/sub/file.py`` keeps its cache in the root of *that* file, which may be ``folder/sub``).
    Symbolic links are not followed; ``.git`` and the caches themselves are not searched."""
    found: list[Path] = []
    for top, folders, _ in os.walk(folder):
        kept = []
        for name in sorted(folders):
            path = Path(top) / name
            if name in _NOT_SEARCHED or os.path.islink(path):
                continue
            if is_cache(path):
                found.append(path)
            else:
                kept.append(name)
        folders[:] = kept
    return found


def clean_all(default: Path, paths: "tuple[str, ...] | list[str]") -> list[str]:
    """``bn-lint clean PATHS``: the cache of the project of PATHS (``default``), and every bn-lint cache
    inside the folders named (as ``ruff clean`` removes the caches below it). One line per cache.
    OSError if the default one is not a bn-lint cache."""
    seen = {os.path.abspath(default)}
    messages = [clean(default)]
    for folder in paths:
        if not os.path.isdir(folder):
            continue
        for cache in caches_under(folder):
            if os.path.abspath(cache) not in seen:
                seen.add(os.path.abspath(cache))
                messages.append(clean(cache))
    if len(messages) > 1 and messages[0].startswith("no cache at "):
        messages.pop(0)
    return messages


def prune(directory: Path, max_age_days: float = MAX_AGE_DAYS, now: float | None = None, force: bool = False) -> int:
    """Remove the entries of ``directory`` unused for ``max_age_days``; at most once a day unless
    ``force``. The number removed; errors (a read-only cache) are ignored."""
    now = time.time() if now is None else now
    marker = directory / ".last-prune"
    try:
        if not force and now - marker.stat().st_mtime < _DAY:
            return 0
    except OSError:
        pass
    if not is_cache(directory):
        return 0
    removed = 0
    limit = now - max_age_days * _DAY
    for folder, _, files in os.walk(directory):
        for name in files:
            if not name.endswith((".json", ".bn-lint-tmp")):
                continue
            path = os.path.join(folder, name)
            try:
                if os.stat(path).st_mtime < limit:
                    os.unlink(path)
                    removed += 1
            except OSError:
                continue
    try:
        marker.touch()
        os.utime(marker, (now, now))
    except OSError:
        pass
    return removed
