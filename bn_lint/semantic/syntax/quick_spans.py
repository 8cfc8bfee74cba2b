"""Where the nodes of a quick tree are (``quick_tree.py``): the stdlib parser's places, read when asked."""
from __future__ import annotations

import re
from typing import Any

import libcst as cst

_NEWLINE = re.compile(r"\r\n?|\n")
Span = Any  # (line, byte column, end line, end byte column), or the stdlib node that has them


def _rows(text: str) -> list[str]:
    """The lines of ``text`` with their line breaks (``\\n``, ``\\r\\n``, ``\\r``: the stdlib parser's lines)."""
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def _between(rows: list[str], line: int, col: int, end_line: int, end_col: int) -> str:
    """The text from (line, byte column) to (end line, byte column)."""
    if line == end_line:
        row = rows[line - 1]
        return row[col:end_col] if row.isascii() else row.encode()[col:end_col].decode(errors="replace")
    first, last = rows[line - 1], rows[end_line - 1]
    first = first[col:] if first.isascii() else first.encode()[col:].decode(errors="replace")
    last = last[:end_col] if last.isascii() else last.encode()[:end_col].decode(errors="replace")
    return "".join([first, *rows[line:end_line - 1], last])


class Spans:
    """Where the nodes of a quick tree are: ``get(node)`` as ``positions.Positions`` answers it."""

    def __init__(self, text: str, spans: dict[int, Span], lines: list[str]) -> None:
        self._spans = spans
        self._lines = lines
        self._text = text

    def span(self, node: cst.CSTNode) -> Span | None:
        found = self._spans.get(id(node))
        if found is not None and not isinstance(found, tuple):  # a stdlib node
            found = self._spans[id(node)] = (found.lineno, found.col_offset, found.end_lineno, found.end_col_offset)
        if found is None:  # (a wrapper the stdlib parser has no node for: from its first and last child)
            from bn_lint.semantic.syntax.walk import children

            spans = [s for s in map(self.span, children(node)) if s is not None]
            if not spans:
                return None
            first, last = spans[0], spans[-1]
            found = self._spans[id(node)] = (first[0], first[1], last[2], last[3])
        return found

    def _column(self, line: int, col: int) -> int:
        row = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
        return col if row.isascii() else len(row.encode()[:col].decode(errors="ignore"))

    def get(self, node: cst.CSTNode, default: Any = None) -> Any:
        from libcst._position import CodePosition, CodeRange  # (libcst.metadata would import every provider)

        found = self.span(node)
        if found is None:
            return default
        line, col, end_line, end_col = found
        return CodeRange(CodePosition(line, self._column(line, col)), CodePosition(end_line, self._column(end_line, end_col)))

    def text(self, node: cst.CSTNode) -> str | None:
        """The source of ``node`` (without parentheses around it), or None where unknown."""
        found = self.span(node)
        if found is None:
            return None
        line, col, end_line, end_col = found
        return _between(self._lines, line, col, end_line, end_col)

