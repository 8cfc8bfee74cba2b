"""A fast child iterator over libcst trees (skips whitespace and punctuation).

libcst node classes are ABCs, so ``isinstance`` on them is slow; every
per-type decision here is made once per concrete class and cached.
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

import libcst as cst

_SKIP_NAMES = (  # libcst classes, by name: libcst is imported on first use (lazy.py)
    "BaseParenthesizableWhitespace",
    "EmptyLine",
    "Comment",
    "Newline",
    "TrailingWhitespace",
    "Comma",
    "Dot",
    "LeftParen",
    "RightParen",
    "LeftSquareBracket",
    "RightSquareBracket",
    "LeftCurlyBrace",
    "RightCurlyBrace",
    "Colon",
    "Semicolon",
    "AssignEqual",
)
_FIELDS: dict[type, tuple[str, ...]] = {}
_KEEP: dict[type, bool] = {}  # class -> is a node that can hold code


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


def _keep(cls: type) -> bool:
    keep = _KEEP.get(cls)
    if keep is None:
        skip = tuple(getattr(cst, name) for name in _SKIP_NAMES)
        keep = _KEEP[cls] = issubclass(cls, cst.CSTNode) and not issubclass(cls, skip)
    return keep


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The syntactic children of ``node`` that can hold code, in source order."""
    out: list[cst.CSTNode] = []
    keep = _KEEP
    for name in _FIELDS.get(type(node)) or _fields(type(node)):
        value = getattr(node, name)
        cls = type(value)
        if cls is tuple or cls is list:
            for item in value:
                k = keep.get(type(item))
                if k if k is not None else _keep(type(item)):
                    out.append(item)
        elif cls is not str and cls is not type(None):
            k = keep.get(cls)
            if k if k is not None else _keep(cls):
                out.append(value)
    return out


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Pre-order iteration over ``node`` and its descendants, without recursion."""
    stack = [node]
    pop, extend = stack.pop, stack.extend
    while stack:
        current = pop()
        yield current
        kids = children(current)
        kids.reverse()
        extend(kids)


_RETURNS: dict[int, tuple[cst.CSTNode, tuple]] = {}  # id(function) -> (function, its returned values)
_RETURNS_KEPT = 4096  # functions whose answers are kept (the cache is emptied when it is full)


def returned_values(function: cst.FunctionDef) -> list[cst.BaseExpression | None]:
    """What ``function``'s own ``return`` statements give back (None for a bare ``return``); the
    returns of functions, classes and lambdas nested in it are theirs, not its. (Asked again and
    again of the same functions: worked out once per function.)"""
    kept = _RETURNS.get(id(function))
    if kept is not None and kept[0] is function:
        return list(kept[1])
    out: list[cst.BaseExpression | None] = []
    stack = children(function.body)
    while stack:
        node = stack.pop()
        cls = type(node)
        if cls is cst.FunctionDef or cls is cst.ClassDef or cls is cst.Lambda:
            continue
        if cls is cst.Return:
            out.append(node.value)
        stack.extend(children(node))
    if len(_RETURNS) >= _RETURNS_KEPT:
        _RETURNS.clear()
    _RETURNS[id(function)] = (function, tuple(out))  # (the node is kept with its answer: its id is not reused)
    return out


def picked_values(value: cst.BaseExpression | None) -> list[cst.BaseExpression | None]:
    """The values ``{"net": Net, "res": ResNet}[name]`` may give (a dict literal's values); ``[value]`` otherwise."""
    if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Dict) and value.value.elements \
            and all(isinstance(e, cst.DictElement) for e in value.value.elements):
        return [e.value for e in value.value.elements]
    return [value]


def dotted_parts(expr: cst.BaseExpression) -> list[str] | None:
    """``self.model.module.visual`` as ``["self", "model", "module", "visual"]``; None for anything but a dotted name."""
    parts: list[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return None
    return [expr.value, *reversed(parts)]
