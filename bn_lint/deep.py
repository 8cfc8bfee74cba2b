"""Running a deep computation on a thread with a large stack, so deep nesting is no recursion error.

libcst's code generation and the analyses walk the tree recursively: an ``if/elif`` chain of
800 branches is 800 nested ``If`` nodes, several Python frames each, past the default recursion
limit of 1,000. ``call`` runs a function on a thread whose stack holds ``LIMIT`` frames, with the
recursion limit raised while it runs; what is deeper still raises ``RecursionError`` as before.
"""
from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

T = TypeVar("T")

STACK_BYTES = 512 * 2**20  # reserved, not committed: only the pages a deep file touches are used
LIMIT = 40_000  # frames; measured need: ~12 per elif branch in libcst's code generation

NORMAL_LIMIT = sys.getrecursionlimit()  # (as the process started: what ``shallow`` restores)
_lock = threading.Lock()
_local = threading.local()


def call(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` on a large-stack thread (directly when already on one)."""
    if getattr(_local, "deep", False):
        return function(*args)
    outcome: list[Any] = []

    def run() -> None:
        _local.deep = True
        try:
            outcome.append((True, function(*args)))
        except BaseException as error:  # re-raised in the caller's thread
            outcome.append((False, error))

    thread = threading.Thread(target=run, name="bn-lint-deep", daemon=True)
    with _lock:
        previous_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous_limit, LIMIT))
        try:
            try:
                previous_stack = threading.stack_size(STACK_BYTES)  # (applies to threads started from now)
                try:
                    thread.start()
                finally:
                    threading.stack_size(previous_stack)
            except (RuntimeError, ValueError, MemoryError):  # no such thread (a tight ulimit -v): as deep as usual
                sys.setrecursionlimit(previous_limit)
                return function(*args)
            thread.join()
        finally:
            sys.setrecursionlimit(previous_limit)
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


@contextmanager
def shallow() -> Iterator[None]:
    """The normal recursion limit for the block: CPython's compiler scales its own nesting limit by it,
    and bn-lint accepts what a normal ``python`` run accepts, no deeper."""
    previous = sys.getrecursionlimit()
    if previous > NORMAL_LIMIT:
        sys.setrecursionlimit(NORMAL_LIMIT)  # (RecursionError if already deeper: too deep either way)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)
