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
