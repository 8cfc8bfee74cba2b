"""Reporters: one module per output format, all reading the same findings."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, TextIO

from ..finding import Finding

_MODULES = {
    "full": "full",
    "concise": "concise",
    "json": "json_format",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
}


@dataclass
class ReportContext:
    """What a reporter may need beyond the findings."""

    files_checked: int = 0
    line_of: Callable[[str, int], str | None] = lambda path, line: None
    statistics: bool = False
    show_fixes: bool = False
    root: str | None = None  # what paths are relative to (SARIF's %SRCROOT%, GitHub's file=): the working directory
    errors: list[str] = field(default_factory=list)  # tool errors of the run (missing paths, internal errors)
    checked: list[str] = field(default_factory=list)  # the files checked (JUnit: one test case each)
    elapsed: float | None = None  # seconds the run took
    applicable: Callable[[Finding], bool] = lambda f: f.fix is not None and f.fix.safe  # marked [*]: --fix applies it
    extra: dict = field(default_factory=dict)
    color: str = "auto"  # auto | always | never (the full format)
    cell_line_of: Callable[[str, int, int], str | None] = lambda path, cell, line: None  # notebooks
    # (path, cell, line, column) -> (line, column) in the .ipynb text: where machine formats place a cell's finding
    file_place_of: Callable[[str, int, int, int], "tuple[int, int] | None"] = lambda path, cell, line, column: None

    def file_position(self, finding: Finding) -> tuple[int, int, int, int]:
        """(line, column, end line, end column) of ``finding`` in the file its path names: for a notebook
        cell's finding, in the ``.ipynb`` text (where the file holds that cell's source), else its own."""
        own = (finding.line, finding.column, finding.end_line, finding.end_column)
        if not finding.cell:
            return own
        start = self.file_place_of(finding.path, finding.cell, finding.line, finding.column)
        end = self.file_place_of(finding.path, finding.cell, finding.end_line, finding.end_column)
        if start is None or end is None:
            return own
        return (*start, *end)

    def text_of(self, finding: Finding) -> str | None:
        """The source line a finding points at (in its notebook cell, for a notebook)."""
        if finding.cell:
            return self.cell_line_of(finding.path, finding.cell, finding.line)
        return self.line_of(finding.path, finding.line)


def render(fmt: str, findings: list[Finding], stream: TextIO, context: ReportContext) -> None:
    module = importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    module.render(findings, stream, context)
