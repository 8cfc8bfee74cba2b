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
