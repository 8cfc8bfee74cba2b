"""Keyword bundles: ``DataLoader(ds, **loader_args)`` with ``loader_args = dict(batch_size=8, ...)``.

A ``**name`` argument whose name is bound once, in the call's scope or an enclosing one (or a
``**self.name`` whose class assigns the attribute once),
to a dict display with string keys or a ``dict(key=value, ...)`` call, and never changed
(``name[...] = ...``, ``name.update(...)``), stands for those keyword arguments.
``call_binding.bind`` binds them like the keywords they stand for (the values stay the
original nodes, so findings and fixes point where each value is written).

A ``**norm_kwargs`` that is a parameter stands for what the calls of its function give it
(``MLP(dims, norm_kwargs=BN_KWARGS)``): ``bundle_choices`` lists each call's bundle (a path the
code shows), ``bundle_entries`` gives the one every call agrees on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst


if TYPE_CHECKING:  # pragma: no cover
    from .model import FileModel, Scope


def bundle_entries(model: "FileModel", expr: cst.BaseExpression,
                   scope: "Scope") -> tuple[dict[str, cst.BaseExpression], "Scope"] | None:
    """The entries of the dict a ``**`` argument names, with the scope they are written in; None if unsure
    (for a parameter: the one dict every call of its function gives it)."""
    choices = _given_bundles(model, expr, scope)
    if choices is not None:
        return choices[0] if len(choices) == 1 and choices[0] is not None else None
    return _entries(model, expr, scope)


def bundle_choices(model: "FileModel", expr: cst.BaseExpression,
                   scope: "Scope") -> list[tuple[dict[str, cst.BaseExpression], "Scope"]]:
    """Each dict a ``**`` argument may hold on a path the code shows: the one it names, or for a
    parameter, the one each call of its function gives it (calls that hide it are left out)."""
    choices = _given_bundles(model, expr, scope)
    if choices is None:
        found = _entries(model, expr, scope)
        return [found] if found is not None else []
    return [c for c in choices if c is not None]


def _given_bundles(model: "FileModel", expr: cst.BaseExpression,
                   scope: "Scope") -> list[tuple[dict[str, cst.BaseExpression], "Scope"] | None] | None:
    """For ``expr`` naming a parameter: the bundle each call of its function gives it (None where a
    call gives no dict the code shows), one per distinct argument; None when ``expr`` is no parameter
    or nothing in the file calls its function."""
    from .batch_facts import _param_of
    from .call_binding import given_values

    found = _param_of(expr.value, scope) if isinstance(expr, cst.Name) else None
    if found is None or found[1] is None:
        return None
    key = (id(found[1]), expr.value)
    if key in _OPENING:  # a call of the function inside itself: gives nothing more
        return None
    _OPENING.add(key)
    try:
        passed = given_values(model, found[1], expr.value)
    finally:
        _OPENING.discard(key)
    if not passed or passed[0].site is None:
        return None
    seen: dict[int, tuple[dict[str, cst.BaseExpression], "Scope"] | None] = {}
    for given in passed:
        if given.value is None or given.scope is None:
            seen[id(given)] = None
        elif id(given.value) not in seen:
            seen[id(given.value)] = _entries(model, given.value, given.scope)
    return list(seen.values())


_OPENING: set[tuple[int, str]] = set()  # (function, parameter) whose calls are being read


def _entries(model: "FileModel", expr: cst.BaseExpression,
             scope: "Scope") -> tuple[dict[str, cst.BaseExpression], "Scope"] | None:
    """The entries of a dict display or ``dict(...)`` call, or of the one such value a name (or a
    ``self`` attribute its class assigns once: ``self.loader_kw = dict(...)``) is bound to."""
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
        info = model.enclosing_class(scope)
        values = info.attributes.get(expr.attr.value) if info is not None else None
        if not values or len(values) != 1 or changed(model, model.code(expr)):
            return None
        expr, scope = values[0]
    elif isinstance(expr, cst.Name):
        bound = model.bindings(expr.value, scope)
        if bound is None or len(bound[0]) != 1 or changed(model, expr.value):
            return None
        expr, scope = bound[0][0], bound[1]
    entries: dict[str, cst.BaseExpression] = {}
    if isinstance(expr, cst.Dict):
        for element in expr.elements:
            key = model.value(element.key, scope) if isinstance(element, cst.DictElement) else None
            if not isinstance(key, str):
                return None  # `**other` or a computed key
            entries[key] = element.value
        return entries, scope
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "dict" \
            and model.binding("dict", scope) is None:
        for arg in expr.args:
            if arg.keyword is None:
                return None
            entries[arg.keyword.value] = arg.value
        return entries, scope
    return None


def changed(model: "FileModel", name: str) -> bool:
    """``name[...] = ...``, ``name.update(...)`` (or ``setdefault``, ``pop``) anywhere in the file."""
    return name in model.analysis(_changed_names)


def _changed_names(model: "FileModel") -> frozenset[str]:
    """The code of every receiver ``changed`` looks for, found in one walk of the file."""
    found: set[str] = set()
    for node in model.nodes_of(model.module, cst.Assign, cst.Call):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Subscript):
                    found.add(model.code(target.target.value))
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in (
                "update", "setdefault", "pop", "__setitem__"):
            found.add(model.code(node.func.value))
    return frozenset(found)


def encloses(outer: "Scope", inner: "Scope | None") -> bool:
    while inner is not None:
        if inner is outer:
            return True
        inner = inner.parent
    return False
