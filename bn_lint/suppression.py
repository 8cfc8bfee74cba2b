"""``# noqa`` comments, as ruff and flake8 read them.

- per line: ``# noqa``, ``# noqa: BN205, E501``, and ``# bn-lint: noqa[: codes]`` written on a code line;
- file-wide, on a line of its own: ``# bn-lint: noqa[: codes]``, and ``# flake8: noqa`` / ``# ruff: noqa[: codes]``
  (as ruff honours them).

``Suppressions`` records which directives suppressed something (``used``), so that unused and
malformed ones can be reported (``bn_lint.noqa_audit``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_CODES = r"[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*"
_LINE_NOQA = re.compile(r"#\s*(?:bn-lint:\s*)?noqa(?::\s*(?P<codes>" + _CODES + r"))?", re.IGNORECASE)
_FILE_NOQA = re.compile(
    r"^\s*#\s*(?P<tool>bn-lint|flake8|ruff):\s*noqa(?::\s*(?P<codes>" + _CODES + r"))?\s*$", re.IGNORECASE | re.MULTILINE
)
# what looks like a noqa directive but is not one: `# noqa BN205` (no colon), `# noqa: bn-205`, `# noqa:` alone
_NOQA_WORD = re.compile(r"#\s*(?:(?:bn-lint|flake8|ruff):\s*)?noqa\b(?P<rest>[^#]*)", re.IGNORECASE)
ALL = frozenset({"*"})
FILE = 0  # the line number under which file-wide directives are recorded as used


@dataclass(frozen=True)
class Suppressions:
    file_codes: frozenset[str]  # ALL for a bare file-level noqa
    lines: tuple[str, ...]
    used: set[tuple[int, str]] = field(default_factory=set, compare=False)  # (line or FILE, code) suppressed

    @classmethod
    def scan(cls, lines: list[str], text: str) -> "Suppressions":
        file_codes: set[str] = set()
        if "noqa" in text or "NOQA" in text:
            for match in _FILE_NOQA.finditer(text):
                if match.group("tool").lower() == "flake8" and match.group("codes"):
                    continue  # flake8 ignores `# flake8: noqa: E123` (a common mistake), and so does ruff
                file_codes |= _codes(match.group("codes"))
        return cls(frozenset(file_codes), tuple(lines))

    def suppressed(self, code: str, line: int) -> bool:
        if _matches(self.file_codes, code):
            self.used.add((FILE, code))
            return True
        if 1 <= line <= len(self.lines):
            text = self.lines[line - 1]
            if "#" in text:
                for match in _LINE_NOQA.finditer(text):
                    if _own_line_file_directive(text, match):
                        continue
                    if _matches(_codes(match.group("codes")), code):
                        self.used.add((line, code))
                        return True
        return False


@dataclass(frozen=True)
class Directive:
    """One noqa comment: where, which codes (ALL for a bare one), file-wide or not, or why it is malformed."""

    line: int
    column: int
    codes: frozenset[str]
    file_wide: bool
    problem: str | None = None


def directives(text: str) -> list[Directive]:
    """Every noqa directive of ``text`` (from comments that look like one), in order."""
    import io
    import tokenize

    found: list[Directive] = []
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    for token in tokens:
        comment, (line, column) = token.string, token.start
        if "noqa" not in comment.lower():
            continue
        own_line = token.line[:column].strip() == ""
        whole = _FILE_NOQA.match(comment)
        if whole is not None and own_line:
            problem = None
            if whole.group("tool").lower() == "flake8" and whole.group("codes"):
                problem = (f"`{comment.strip()}` is ignored (flake8 and ruff ignore it too): "
                           f"write `# bn-lint: noqa: {whole.group('codes')}`")
            found.append(Directive(line, column + 1, _codes(whole.group("codes")), True, problem))
            continue
        for word in _NOQA_WORD.finditer(comment):
            match = _LINE_NOQA.match(comment, word.start())
            written = comment[word.start():word.end()].strip()
            rest = word.group("rest")
            problem = None
            if rest.lstrip().startswith(":") and (match is None or not match.group("codes")):
                after = rest.lstrip()[1:].strip().split()
                found_text = f"`{after[0]}` is not a code" if after else "no code follows the colon"
                problem = (f"malformed noqa directive `{written}`: {found_text}; write codes after the colon "
                           f"(`# noqa: BN101, BN205`)")
            elif match is not None and not match.group("codes") and re.match(r"\s+[A-Z]+[0-9]+\b", rest, re.IGNORECASE):
                problem = (f"noqa directive without a colon: `{written}` suppresses every code; "
                           f"write `# noqa: {rest.split()[0].rstrip(',')}`")
            codes = _codes(match.group("codes") if match is not None else None)
            found.append(Directive(line, column + 1 + word.start(), codes, False, problem))
    return found


def _own_line_file_directive(text: str, match: re.Match) -> bool:
    """A file-wide directive on a line of its own is not also a line directive (it covers more)."""
    return text[:match.start()].strip() == "" and _FILE_NOQA.match(text) is not None


def _codes(group: str | None) -> frozenset[str]:
    if not group:
        return ALL
    return frozenset(c.strip().upper() for c in group.split(","))


def _matches(codes: frozenset[str], code: str) -> bool:
    return bool(codes) and (codes is ALL or "*" in codes or any(code.startswith(c) for c in codes))
