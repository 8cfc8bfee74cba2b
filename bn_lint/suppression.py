"""``# noqa`` comments: per line, and file-wide ``# bn-lint: noqa``."""
from __future__ import annotations

import re
from dataclasses import dataclass

_LINE_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_FILE_NOQA = re.compile(
    r"^\s*#\s*bn-lint:\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*))?\s*$", re.IGNORECASE | re.MULTILINE
)
ALL = frozenset({"*"})


@dataclass(frozen=True)
class Suppressions:
    file_codes: frozenset[str]  # ALL for a bare file-level noqa
    lines: tuple[str, ...]

    @classmethod
    def scan(cls, lines: list[str], text: str) -> "Suppressions":
        file_codes: set[str] = set()
        if "bn-lint" in text:
            for match in _FILE_NOQA.finditer(text):
                file_codes |= _codes(match.group("codes"))
        return cls(frozenset(file_codes), tuple(lines))

    def suppressed(self, code: str, line: int) -> bool:
        if _matches(self.file_codes, code):
            return True
        if 1 <= line <= len(self.lines):
            text = self.lines[line - 1]
            if "#" in text:
                for match in _LINE_NOQA.finditer(text):
                    if _matches(_codes(match.group("codes")), code):
                        return True
        return False


def _codes(group: str | None) -> frozenset[str]:
    if not group:
        return ALL
    return frozenset(c.strip().upper() for c in group.split(","))


def _matches(codes: frozenset[str], code: str) -> bool:
    return bool(codes) and (codes is ALL or "*" in codes or any(code.startswith(c) for c in codes))
