"""``path:line:col: CODE message``, one line per finding."""
from __future__ import annotations

from typing import TextIO

from ..finding import Finding


def render(findings: list[Finding], stream: TextIO, context) -> None:
    for f in findings:
        marker = " [*]" if context.applicable(f) else ""
        stream.write(f"{f.location}: {f.code}{marker} {f.message}\n")
