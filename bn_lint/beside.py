"""A function run in a forked child beside the parent's own work: the importers' check of a one-file run
goes on another core while the file itself is checked.

``start(function, *args)`` forks; the child runs the function and sends its pickled result through a pipe;
calling what ``start`` returned waits for it. Where there is no ``fork`` or the child fails (an exception,
a signal), the parent runs the function itself: nothing is lost, it only takes longer.
"""
from __future__ import annotations

import os
import pickle
import signal
from typing import Callable, TypeVar

T = TypeVar("T")
_LIVE: set[int] = set()  # children not waited for yet (ended with the run: ``end_children``)


def start(function: Callable[..., T], *args: object) -> Callable[[], T]:
    """``function(*args)``, begun in a forked child; the result waits for it."""
    if not hasattr(os, "fork"):  # pragma: no cover - not POSIX
        return lambda: function(*args)
    try:
        read, write = os.pipe()
        pid = os.fork()
    except OSError:  # (no process left to fork: the parent does it, after its own work)
        return lambda: function(*args)
    if pid == 0:  # pragma: no cover - the child (coverage does not follow a fork)
        os.close(read)
        code = 0
        try:
            data = pickle.dumps(function(*args))
        except BaseException:  # (the parent runs it again and says what fails)
            data, code = b"", 1
        try:
            with os.fdopen(write, "wb") as stream:
                stream.write(data)
        finally:
            os._exit(code)  # (never the parent's exit handlers, nor its buffered output)
    os.close(write)
    _LIVE.add(pid)

    def result() -> T:
        with os.fdopen(read, "rb") as stream:
            data = stream.read()
        _, status = os.waitpid(pid, 0)
        _LIVE.discard(pid)
        if status != 0 or not data:
            return function(*args)
        return pickle.loads(data)

    return result


def end_children() -> None:
    """End and reap the children whose results were never asked for (the run stopped: Ctrl-C, SIGTERM, an error)."""
    for pid in list(_LIVE):
        try:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        except (OSError, ChildProcessError):
            pass
        _LIVE.discard(pid)
