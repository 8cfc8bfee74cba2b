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


def program(lines: list[str], newline: str, final_newline: bool) -> str | None:
    """The lines joined with ``newline`` (also inside each line), as a file; None when it does not compile
    (for property tests over generated programs)."""
    text = newline.join(line.replace("\n", newline) for line in lines) + (newline if final_newline else "")
    try:
        compile(text, "<test>", "exec")
    except SyntaxError:
        return None
    return text
