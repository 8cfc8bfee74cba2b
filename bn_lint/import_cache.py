"""Compiled code for the methods of libcst's dataclasses, kept between runs.

Importing libcst creates ~200 frozen dataclasses, and the standard library compiles the source
of each one's generated methods (``__init__``, ``__eq__``, ``__repr__`` ...) with ``exec``:
about 0.15 s of every run that parses a file, more than Python's start-up. While libcst is
imported, the ``exec`` that ``dataclasses`` calls looks the compiled code up by a digest of its
source text in a file of the user's cache folder, and compiles only what it lacks. The same
source gives the same code object, so the classes are the ones a plain import builds; the file
only saves time, like ``__pycache__``, and a missing, stale or broken one is rebuilt.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import marshal
import os
import sys
from contextlib import contextmanager
from typing import Iterator

try:  # the blake2 module alone: ``hashlib`` loads OpenSSL (as in ``cache``)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b


def cache_file() -> str:
    """``$XDG_CACHE_HOME/bn-lint/`` (default ``~/.cache``), one file per Python bytecode version."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    tag = f"{sys.implementation.cache_tag}-{importlib.util.MAGIC_NUMBER.hex()}"
    return os.path.join(base, "bn-lint", f"dataclass-code-{tag}.marshal")


def _load(path: str) -> dict:
    try:
        with open(path, "rb") as stream:
            known = marshal.load(stream)
    except Exception:  # missing, unreadable, truncated or from elsewhere: compile afresh
        return {}
    return known if isinstance(known, dict) else {}


@contextmanager
def cached_dataclass_code() -> Iterator[None]:
    """Serve ``dataclasses``' generated code from the cache file inside the block."""
    if "exec" in vars(dataclasses):  # someone else's patch, or a nested use: leave it alone
        yield
        return
    path = cache_file()
    known, added, used = _load(path), {}, {}

    def cached_exec(source, globals=None, locals=None, /):
        if not isinstance(source, str):
            return exec(source, globals, locals)
        key = blake2b(source.encode(), digest_size=16).digest()
        code = known.get(key)
        if code is None or not hasattr(code, "co_code"):
            code = added[key] = compile(source, "<string>", "exec", dont_inherit=True)
        else:
            used[key] = code
        return exec(code, globals, locals)

    dataclasses.exec = cached_exec
    try:
        yield
    finally:
        del dataclasses.exec
        if added:  # (new code: a first run, or an upgraded libcst or bn-lint)
            from .atomic import replace  # (tempfile's import, only on the run that writes)

            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                # loading the file is part of every run's start: where most of it went unused (code of classes
                # an upgrade removed), it keeps only what this run used and added
                kept = {**used, **added} if len(known) > 2 * (len(used) + len(added)) else {**known, **added}
                replace(path, marshal.dumps(kept))
            except (OSError, ValueError):  # a read-only home: every run compiles, as without the cache
                pass

