"""bn-lint as a flake8 plugin (codes ``BN...``): the same engine and rules as ``bn-lint check``.

Registered as the ``flake8.extension`` entry point ``BN``. Settings come from
the ``[tool.bn-lint]`` table found above each file, as for ``bn-lint check``;
flake8's own ``--select``/``--ignore``/``# noqa`` apply on top.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

from . import __version__

_checkers: dict = {}


def _checker_for(filename: str):
    from .config import find_config, load_config
    from .engine import Checker

    start = Path(filename) if filename not in ("-", "stdin") else Path.cwd()
    config = find_config(start if start.exists() else Path.cwd())
    checker = _checkers.get(config)
    if checker is None:
        checker = _checkers[config] = Checker(load_config(config))
    return checker


class Plugin:
    """A flake8 tree plugin yielding bn-lint findings (flake8's columns: 0-based offsets)."""

    name = "bn-lint"
    version = __version__

    def __init__(self, tree, filename: str, lines: list[str]) -> None:
        self.filename = filename
        self.lines = lines

    def _from_importers(self) -> list:
        """What the project's importers of this file find in it (as ``bn-lint check`` reports), when the
        text flake8 checks is the file on disk (an editor's unsaved buffer is not what they import)."""
        try:
            with open(self.filename, encoding="utf-8", newline="") as handle:
                if handle.read() != "".join(self.lines):
                    return []
        except (OSError, UnicodeDecodeError):
            return []
        from .resolve import Overrides, Resolver
        from .session import from_importers

        return from_importers([self.filename], Resolver(Overrides()), 1, lambda settings: None)  # (no cache folder)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        from .source import SourceText

        checker = _checker_for(self.filename)
        result = checker.check_source(self.filename, SourceText("".join(self.lines), "utf-8"))
        for error in result.errors:
            print(f"bn-lint: {error}", file=sys.stderr)
        for finding in result.findings + self._from_importers():
            if finding.code.startswith("BN9"):  # syntax/reading problems: flake8 reports those itself (E999, E902)
                continue
            if finding.path != self.filename or not 1 <= finding.line <= len(self.lines):
                continue  # a finding in another file (a helper this one calls): flake8 can only place this file's
            yield finding.line, finding.column - 1, f"{finding.code} {finding.message}", type(self)
