"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding."""
from __future__ import annotations

import os
from typing import TextIO

from ..finding import Finding, Severity


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _relative(path: str, root: str) -> str:
    """``path`` relative to the working directory (where the workflow checked the repository out), when under it."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, root)
    except ValueError:  # pragma: no cover - another drive
        return path
    return path if relative == ".." or relative.startswith(".." + os.sep) else relative.replace(os.sep, "/")


def render(findings: list[Finding], stream: TextIO, context) -> None:
    root = os.path.abspath(getattr(context, "root", None) or os.getcwd())
    for f in findings:
        level = "error" if f.severity is Severity.ERROR else "warning"
        line, column, end_line, end_column = context.file_position(f)  # (a notebook's: in the .ipynb text)
        props = (
            f"file={_escape_property(_relative(f.path, root))},line={line},col={column},"
            f"endLine={end_line},endColumn={end_column},title={_escape_property(f'{f.code} {f.name}' + (f' (cell {f.cell})' if f.cell else ''))}"
        )
        stream.write(f"::{level} {props}::{_escape_data(f'{f.code} {f.message}')}\n")
