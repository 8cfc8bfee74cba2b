"""Keyword bundles: ``DataLoader(ds, **loader_args)`` with ``loader_args = dict(batch_size=8, ...)``.

A ``**name`` argument whose name is bound once, in the call's scope or an enclosing one (or a
``**self.name`` whose class assigns the attribute once),
to a dict display with string keys or a ``dict(key=value, ...)`` call, and never changed
(``name[...] = ...``, ``name.update(...)``), stands for those keyword arguments.
``call_binding.bind`` binds them like the keywords they stand for (the values stay the
original nodes, so findings and fixes point where each value is written).

A ``**norm_kwargs`` that is a parameter stands for what the calls of its function give it
(``MLP(dims, norm_kwargs=BN_KWARGS)``): ``call_binding.bundle_choices`` lists each call's bundle (a
path the code shows), ``call_binding.given_bundle`` gives the one every call agrees on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.record_fields import record_entries
from bn_lint.semantic.file.names import stored_once


if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


def bundle_entries(model: "FileModel", expr: cst.BaseExpression,
                   scope: "Scope") -> tuple[dict[str, cst.BaseExpression], "Scope"] | None:
    """The entries of a dict display or ``dict(...)`` call, or of the one such value a name (or a
    ``self`` attribute its class assigns once: ``self.loader_kw = dict(...)``) is bound to; the fields of a
    record handed out by ``dataclasses.asdict(args)`` or ``args._asdict()``."""
    if isinstance(expr, cst.Attribute):
        stored = stored_once(model, expr, scope)
        if stored is None or changed(model, model.code(expr)):
            return None
        expr, scope = stored
    elif isinstance(expr, cst.Name):
        bound = model.bindings(expr.value, scope)
        if bound is None or len(bound[0]) != 1 or changed(model, expr.value):
            return None
        expr, scope = bound[0][0], bound[1]
    if isinstance(expr, cst.Call) and len(expr.args) == 1 and not expr.args[0].star \
            and model.qualname(expr.func) == "dataclasses.asdict":
        return record_entries(model, expr.args[0].value, scope)  # (`**asdict(args)`: the record's fields)
    if isinstance(expr, cst.Call) and not expr.args and isinstance(expr.func, cst.Attribute) \
            and expr.func.attr.value == "_asdict":
        return record_entries(model, expr.func.value, scope)  # (`**args._asdict()` of a named tuple)
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
