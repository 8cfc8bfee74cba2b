"""Replacing a file atomically: write a temporary file beside it, then rename it over the file."""
from __future__ import annotations

import os
import tempfile
from typing import Callable


def replace(target: str, data: bytes, *, durable: bool = False, prepare: Callable[[str], None] | None = None) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder and ``os.replace``.

    ``durable``: fsync before the rename. ``prepare(temp_path)`` runs on the written
    temporary file before the rename (e.g. to copy permissions). Readers see the old
    or the new content, never a part; on any error the temporary file is removed.
    """
    directory = os.path.dirname(target) or "."
    handle, temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".bn-lint-tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        if prepare is not None:
            prepare(temp)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def rewrite_in_place(target: str, data: bytes, original: bytes) -> None:
    """Overwrite ``target`` (which holds ``original``) with ``data`` in place, keeping its inode.

    For a file with several hard links, which a rename would split (the other names would keep the old
    text). Not atomic, so made safe another way: a backup of ``original`` is written beside it and
    read back first; if the rewrite fails (a full disk), ``original`` is written back, and should
    that fail too the backup is left and named in the error.
    """
    directory = os.path.dirname(target) or "."
    handle, backup = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".bn-lint-tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(original)
            stream.flush()
            os.fsync(stream.fileno())
        with open(backup, "rb") as check:
            if check.read() != original:
                raise OSError(f"the backup copy of {target} does not read back")
    except BaseException:
        _remove(backup)
        raise
    try:
        _overwrite(target, data)
    except BaseException as error:
        try:
            _overwrite(target, original)
        except BaseException:
            raise OSError(f"{error}; the original is saved in {backup}") from error
        _remove(backup)
        raise
    _remove(backup)


def _overwrite(path: str, data: bytes) -> None:
    with open(path, "r+b") as stream:
        stream.write(data)
        stream.truncate()
        stream.flush()
        os.fsync(stream.fileno())


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
