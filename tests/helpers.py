"""In-process checking for tests."""
from __future__ import annotations

import textwrap

from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.finding import Finding
from bn_lint.source import SourceText


def check_code(code: str, path: str = "example.py", select: tuple[str, ...] = ("BN",), **settings) -> list[Finding]:
    """Findings for one snippet of code (dedented)."""
    checker = Checker(Settings(select=select, **settings))
    result = checker.check_source(path, SourceText(textwrap.dedent(code).lstrip("\n"), "utf-8"))
    assert not result.errors, result.errors
    return result.findings


def codes_and_lines(findings: list[Finding]) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in findings]
