"""A progress bar on the terminal for long runs (rich), and nothing anywhere else."""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator

SHOW_AFTER = 1.0  # seconds: a run shorter than this shows no bar at all
MIN_FILES = 20


def wanted(fmt: str, quiet: bool, files: int, stream=None) -> bool:
    """A bar only for a human format, on a terminal, without --quiet, for enough files."""
    stream = stream or sys.stderr
    return fmt in ("full", "concise") and not quiet and files >= MIN_FILES and stream.isatty()


@contextmanager
def bar(total: int, enabled: bool) -> Iterator[Callable[[int], None]]:
    """``advance(n)`` callbacks; the bar appears once the run has taken ``SHOW_AFTER`` and vanishes at the end."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    started = time.monotonic()
    progress = Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=Console(file=sys.stderr), transient=True)
    task = progress.add_task("check", total=total)
    shown = False

    def advance(n: int) -> None:
        nonlocal shown
        progress.advance(task, n)
        if not shown and time.monotonic() - started >= SHOW_AFTER:
            progress.start()
            shown = True

    try:
        yield advance
    finally:
        if shown:
            progress.stop()
