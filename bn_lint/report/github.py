"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding."""
from __future__ import annotations

from typing import TextIO

from ..finding import Finding, Severity


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render(findings: list[Finding], stream: TextIO, context) -> None:
    for f in findings:
        level = "error" if f.severity is Severity.ERROR else "warning"
        props = (
            f"file={_escape_property(f.path)},line={f.line},col={f.column},"
            f"endLine={f.end_line},endColumn={f.end_column},title={_escape_property(f'{f.code} {f.name}' + (f' (cell {f.cell})' if f.cell else ''))}"
        )
        stream.write(f"::{level} {props}::{_escape_data(f'{f.code} {f.message}')}\n")
