"""A fast child iterator over libcst trees (skips whitespace and punctuation)."""
from __future__ import annotations

import dataclasses
from typing import Iterator

import libcst as cst

_SKIP_TYPES = (
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.Comment,
    cst.Newline,
    cst.TrailingWhitespace,
    cst.Comma,
    cst.Dot,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if not f.name.startswith(("whitespace", "lpar", "rpar", "leading_lines", "lines_after"))
            and f.name not in ("comma", "semicolon", "header", "footer", "newline", "equal", "colon", "dot")
        )
        _FIELDS[cls] = names
    return names


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The syntactic children of ``node`` that can hold code, in source order."""
    for name in _fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            if not isinstance(value, _SKIP_TYPES):
                yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, cst.CSTNode) and not isinstance(item, _SKIP_TYPES):
                    yield item


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Pre-order iteration over ``node`` and its descendants, without recursion."""
    stack = [node]
    pop, extend = stack.pop, stack.extend
    while stack:
        current = pop()
        yield current
        kids = list(children(current))
        kids.reverse()
        extend(kids)
