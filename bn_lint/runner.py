"""Checks many files: cache lookups first, then a process pool (or this process) for the rest.

The results come back in the order of the paths given, and are the same
whatever the number of jobs: each worker builds its own Checker from the
same settings, and findings are sorted by the caller.
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Callable

from .config import Settings

if TYPE_CHECKING:  # pragma: no cover
    from .cache import Cache
    from .engine import Checker, FileResult

POOL_MIN_FILES = 20  # fewer files to parse than this: a pool costs more than it saves
# Each checked file leaves its syntax trees (and, through the project, those of the files it
# imports) alive for a while; with Python's default thresholds the collector rescans them
# thousands of times. Rare young collections cut a third off checking transformers (51.9 s with
# thresholds of (10_000, 10, 10), 40.3 s with these). Full collections are left to CPython's own rule
# (threshold 1: whenever the objects that survived into the oldest generation grew by a quarter since
# the last one): full collections every 100 files instead took 15 s of 61 on timm + torchvision +
# transformers with two workers, and the process stays at ~340 MiB over 2,000 files without them
# (the project keeps at most MODEL_LIMIT models).
GC_THRESHOLDS = (100_000, 50, 1)


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def check_files(
    paths: list[str], settings: Settings, jobs: int | None = None, cache: "Cache | None" = None,
    advance: "Callable[[int], None]" = lambda n: None,
) -> list["FileResult"]:
    """One FileResult per path, in order; ``advance(n)`` is told as files are done (a progress bar)."""
    from .engine import FileResult
    from .source import UnreadableSource, read_bytes

    _tune_gc()
    results: list[FileResult | None] = [None] * len(paths)
    todo: list[tuple[int, str, bytes | None, str | None]] = []  # (index, path, content, cache key)
    for index, path in enumerate(paths):
        if cache is None:
            todo.append((index, path, None, None))
            continue
        try:
            data = read_bytes(path)  # (stat first: a FIFO is never opened, a huge file never read)
        except UnreadableSource:
            todo.append((index, path, None, None))  # the checker reports why (BN900/BN901)
            continue
        key = cache.key(path, data)
        hit = cache.get(key)
        if hit is None:
            todo.append((index, path, data, key))
            continue
        findings, errors = hit
        results[index] = FileResult(path, findings, errors, source=_source(data) if findings else None,
                                    notebook=_notebook(path, data) if findings else None)

    advance(len(paths) - len(todo))
    tasks = [(path, data) for _, path, data, _ in todo]
    jobs = default_jobs() if jobs is None else max(1, jobs)
    index = str(cache.directory) if cache is not None else None  # the project index lives in the cache
    if jobs > 1 and len(tasks) >= POOL_MIN_FILES:
        outcomes = _in_pool(tasks, settings, jobs, index, advance)
    else:
        outcomes = _in_process(tasks, settings, index, advance)
    for (index, path, data, key), (result, deps) in zip(todo, outcomes):
        results[index] = result
        if cache is not None and key is not None:
            cache.put(key, result.findings, result.errors, deps)
    return results  # type: ignore[return-value]


def _tune_gc() -> None:
    import gc

    gc.freeze()  # what is alive now (imported modules) is never garbage: stop rescanning it
    gc.set_threshold(*GC_THRESHOLDS)


def _source(data: bytes):
    from .source import UnreadableSource, decode

    try:
        return decode(data)
    except UnreadableSource:  # pragma: no cover - it was decoded when the entry was made
        return None


def _notebook(path: str, data: bytes):
    """The cells of a notebook (reporters show their lines), for a result read from the cache."""
    from .notebook import NOTEBOOK_SUFFIX, Notebook, NotNotebook

    if not path.endswith(NOTEBOOK_SUFFIX):
        return None
    try:
        return Notebook.parse(data)
    except NotNotebook:
        return None


# ---------------------------------------------------------------- checking
def check_one(checker: "Checker", path: str, data: bytes | None) -> tuple["FileResult", list[str]]:
    """The result for one file and the project files it may depend on."""
    result = checker.check_path(path) if data is None else checker.check_bytes(path, data)
    deps = checker.project.dependencies(path)
    checker.project.save_index()
    checker.project.trim()  # (memory bounded however many files a process checks)
    if not result.findings:
        result.source = None  # only reporters use it, for the lines of findings
    return result, deps


def _checker(settings: Settings, index: str | None) -> "Checker":
    """A Checker whose project reads and writes the project index in cache directory ``index``."""
    from .engine import Checker
    from .project import Project

    if index is None:
        return Checker(settings)
    from .cache import Cache

    return Checker(settings, Project(settings, Cache(index, settings)))


def _in_process(
    tasks: list[tuple[str, bytes | None]], settings: Settings, index: str | None = None,
    advance: "Callable[[int], None]" = lambda n: None,
) -> list[tuple["FileResult", list[str]]]:
    if not tasks:
        return []
    checker = _checker(settings, index)
    outcomes = []
    for path, data in tasks:
        outcomes.append(check_one(checker, path, data))
        advance(1)
    return outcomes


_WORKER: "Checker | None" = None


def _init_worker(settings: Settings, index: str | None) -> None:
    global _WORKER
    _WORKER = _checker(settings, index)


def _work(chunk: list[tuple[int, str, bytes | None]]) -> list[tuple[int, "FileResult", list[str]]]:
    assert _WORKER is not None
    return [(index, *check_one(_WORKER, path, data)) for index, path, data in chunk]


def _in_pool(
    tasks: list[tuple[str, bytes | None]], settings: Settings, jobs: int, index: str | None = None,
    advance: "Callable[[int], None]" = lambda n: None,
) -> list[tuple["FileResult", list[str]]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # biggest files first, in small chunks, so no worker is left with a long tail
    order = sorted(range(len(tasks)), key=lambda i: -_size(*tasks[i]))
    size = max(1, min(16, len(tasks) // (jobs * 8)))
    chunks = [[(i, *tasks[i]) for i in order[start:start + size]] for start in range(0, len(order), size)]
    done: dict[int, tuple[FileResult, list[str]]] = {}
    method = "fork" if sys.platform == "linux" else None  # fork: workers start with the modules already imported
    try:
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(min(jobs, len(chunks)), mp_context=context, initializer=_init_worker,
                                 initargs=(settings, index)) as pool:
            for batch in pool.map(_work, chunks):
                for position, result, deps in batch:
                    done[position] = (result, deps)
                advance(len(batch))
    except (BrokenProcessPool, OSError, PermissionError):
        pass  # no pool on this system (or a worker died): check what is left here
    rest = [i for i in range(len(tasks)) if i not in done]
    if rest:
        for i, outcome in zip(rest, _in_process([tasks[i] for i in rest], settings, index, advance)):
            done[i] = outcome
    return [done[i] for i in range(len(tasks))]


def _size(path: str, data: bytes | None) -> int:
    if data is not None:
        return len(data)
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
