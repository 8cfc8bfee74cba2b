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
from .dependency_log import Dependencies

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
    """One FileResult per path, in order; ``advance(n)`` is told as files are done (a progress bar).

    A file the cache does not answer is read again by whoever checks it (a worker): this process keeps
    no file's content, and sends none through the pool's pipes. Its result is cached only when what was
    checked is what the cache key was computed from (a file changed in between is not cached)."""
    from .cache import digest
    from .engine import FileResult
    from .source import UnreadableSource, read_bytes

    _tune_gc()
    results: list[FileResult | None] = [None] * len(paths)
    todo: list[tuple[int, str, str | None, str | None]] = []  # (index, path, cache key, content digest)
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
            todo.append((index, path, key, digest(data)))
            continue
        findings, errors = hit
        results[index] = FileResult(path, findings, errors, source=_source(data) if findings else None,
                                    notebook=_notebook(path, data) if findings else None)

    advance(len(paths) - len(todo))

    def finish(position: int, result: "FileResult", deps: "Dependencies", checked: str | None) -> None:
        index, _path, key, content = todo[position]
        results[index] = result
        if cache is not None and key is not None and checked == content:
            cache.put(key, result.findings, result.errors, deps)  # (as results come: none is held back)

    tasks = [(path, content) for _, path, _, content in todo]
    jobs = default_jobs() if jobs is None else max(1, jobs)
    index = str(cache.directory) if cache is not None else None  # the project index lives in the cache
    if jobs > 1 and len(tasks) >= POOL_MIN_FILES:
        _in_pool(tasks, settings, jobs, index, advance, finish)
    else:
        _in_process(list(enumerate(tasks)), settings, index, advance, finish)
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
def check_one(checker: "Checker", path: str, data: bytes | None) -> tuple["FileResult", "Dependencies"]:
    """The result for one file and what it depends on (worked out only for a result the cache keeps: one checked
    from ``data`` read for its key)."""
    result = checker.check_path(path) if data is None else checker.check_bytes(path, data)
    deps = checker.project.log.record(path) if data is not None else Dependencies([], {})
    checker.project.trim()  # (memory bounded however many files a process checks; what it drops is saved first)
    if not result.findings:
        result.source = None  # only reporters use it, for the lines of findings
    return result, deps


def _check_read(checker: "Checker", path: str, content: str | None) -> tuple["FileResult", "Dependencies", str | None]:
    """``check_one`` of a file read here; with the digest of what was checked when the caller has one
    (``content``: what its cache key was computed from), else None."""
    if content is None:
        return (*check_one(checker, path, None), None)
    from .cache import digest
    from .source import UnreadableSource, read_bytes

    try:
        data = read_bytes(path)
    except UnreadableSource:  # (gone or changed since: the checker says why, nothing is cached)
        return (*check_one(checker, path, None), None)
    return (*check_one(checker, path, data), digest(data))


def _checker(settings: Settings, index: str | None) -> "Checker":
    """A Checker whose project reads and writes the project index in cache directory ``index``."""
    from .engine import Checker
    from .project import Project

    if index is None:
        return Checker(settings)
    from .cache import Cache

    return Checker(settings, Project(settings, Cache(index, settings)))


Task = tuple[str, "str | None"]  # (path, the digest its cache key holds, or None)
Finish = Callable[[int, "FileResult", "Dependencies", "str | None"], None]


def _in_process(
    tasks: list[tuple[int, Task]], settings: Settings, index: str | None, advance: "Callable[[int], None]",
    finish: Finish,
) -> None:
    if not tasks:
        return
    checker = _checker(settings, index)
    try:
        for position, (path, content) in tasks:
            finish(position, *_check_read(checker, path, content))
            advance(1)
    finally:
        # (a check of a few files: the files an editor or a pre-commit hook checks as they are being edited)
        checker.project.save_index(frozenset(os.path.abspath(path) for _, (path, _) in tasks)
                                   if len(tasks) < POOL_MIN_FILES else frozenset())


_WORKER: "Checker | None" = None


def _init_worker(settings: Settings, index: str | None) -> None:
    global _WORKER
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # (the parent's handler is for the parent: a worker just ends)
    _end_with_parent(signal.SIGTERM)
    _WORKER = _checker(settings, index)


def _end_with_parent(signum: int) -> None:
    """Have the kernel send this worker ``signum`` when the process that started it dies, killed too
    (``SIGKILL`` leaves no handler to end the pool: a timeout's kill, the OOM killer), so no worker outlives the
    run; Linux only (``prctl(PR_SET_PDEATHSIG)``), a no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signum, 0, 0, 0)  # (1: PR_SET_PDEATHSIG)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # (the parent died before the request: end now)
        os.kill(os.getpid(), signum)


class Terminated(Exception):
    """The run got SIGTERM: its workers were ended and reaped; the command line exits 143."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


def _end_workers(pool) -> None:
    """End the pool's workers (they would wait forever on a parent that has gone) and reap them."""
    import threading

    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    hook = threading.excepthook
    # (the pool's manager thread then fails futures that map has cancelled: CPython's InvalidStateError noise)
    threading.excepthook = lambda args: None
    try:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(2)
            if process.is_alive():
                process.kill()
                process.join(1)
        pool.shutdown(wait=False)
        if manager is not None:
            manager.join(2)
    finally:
        threading.excepthook = hook


def _work(chunk: list[tuple[int, str, str | None]]) -> list[tuple[int, "FileResult", "Dependencies", str | None]]:
    assert _WORKER is not None
    try:
        return [(position, *_check_read(_WORKER, path, content)) for position, path, content in chunk]
    finally:
        _WORKER.project.save_index()


def _in_pool(
    tasks: list[Task], settings: Settings, jobs: int, index: str | None, advance: "Callable[[int], None]",
    finish: Finish,
) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # chunks of neighbouring files (in path order: one folder's files share the project files they import,
    # which a worker then parses once), the biggest chunks first so no worker is left with a long tail
    size = max(1, min(64, len(tasks) // (jobs * 8)))
    chunks = [[(i, *tasks[i]) for i in range(start, min(start + size, len(tasks)))]
              for start in range(0, len(tasks), size)]
    chunks.sort(key=lambda chunk: -sum(_size(path) for _, path, _ in chunk))
    done: set[int] = set()
    method = "fork" if sys.platform == "linux" else None  # fork: workers start with the modules already imported
    import signal
    import threading

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_terminated) if main_thread else None
    try:
        context = multiprocessing.get_context(method)
        pool = ProcessPoolExecutor(min(jobs, len(chunks)), mp_context=context, initializer=_init_worker,
                                   initargs=(settings, index))
        try:
            for batch in pool.map(_work, chunks):
                for position, result, deps, checked in batch:
                    finish(position, result, deps, checked)
                    done.add(position)
                advance(len(batch))
        except BaseException:  # SIGTERM, Ctrl-C, a dead worker: no worker outlives the run
            _end_workers(pool)
            raise
        pool.shutdown(wait=True)
    except BrokenProcessPool:
        sys.stderr.write(f"bn-lint: a worker process died (killed for memory?); its {len(tasks) - len(done)} "
                         "unfinished files are checked again in this process\n")
    except (OSError, PermissionError):
        pass  # no pool on this system: check what is left here
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    _in_process([(i, tasks[i]) for i in range(len(tasks)) if i not in done], settings, index, advance, finish)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
