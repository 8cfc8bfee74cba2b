"""The numbers a parameter takes: what each call of this file gives it, or its default, each worked out
by the ``number`` the caller passes (``SizeResolution.number``; :mod:`arguments` binds it)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator

import libcst as cst

from bn_lint.semantic.batching.facts import Size
from bn_lint.semantic.evaluators.call_binding import given_values

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope

    Number = Callable[[cst.BaseExpression, Scope | None], Size | None]  # the number an expression holds
_ACTIVE: set[tuple[int, str]] = set()  # (function, parameter) being worked out: a recursive call gives no value


def given_numbers(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None",
                  number: "Number") -> Iterator[Size]:
    """For ``expr`` naming a parameter of a function or constructor of this file: the number each call
    here gives it (its default where a call leaves it out, or where nothing calls it), with where it
    comes from; nothing for a value no call shows."""
    return (size for size in _given(model, expr, scope, True, number) if size is not None)


def given_number(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None", number: "Number") -> Size | None:
    """The one number every call of this file gives the parameter ``expr`` (or leaves at its default;
    the default when nothing here calls it); None when a call hides it or two calls differ."""
    found = list(_given(model, expr, scope, False, number))
    if not found or any(size is None for size in found) or len({size.value for size in found}) != 1:
        return None
    return found[0]


def _given(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None",
           lines: bool, number: "Number") -> Iterator[Size | None]:
    """Per call of the function (or once, when nothing calls it): the number the parameter gets there,
    or None where the code does not show it. ``lines``: name each call's line in the source (working
    out a file's positions costs more than the rest of the lookup)."""
    if not isinstance(expr, cst.Name) or scope is None or scope.kind != "function" or expr.value not in scope.params:
        return
    key = (id(scope.node), expr.value)
    if key in _ACTIVE:
        yield None
        return
    _ACTIVE.add(key)
    try:
        yield from _per_call(model, expr, scope, lines, number)
    finally:
        _ACTIVE.discard(key)


def _per_call(model: "FileModel", expr: cst.Name, scope: "Scope", lines: bool, number: "Number") -> Iterator[Size | None]:
    function = scope.node
    # (`Module(data, **config)`: the keyword bundle's entries)
    passed = given_values(model, function, expr.value) if isinstance(function, cst.FunctionDef) else None
    if passed is None:
        yield None
        return
    for given in passed:
        found = number(given.value, given.scope) if given.value is not None else None
        if found is None:
            yield None
        elif given.default:
            yield Size(found.value, f"the default of `{expr.value}`")
        else:
            yield Size(found.value, f"given at line {model.line_of(given.site.node)}" if lines
                       else f"given by the calls of `{function.name.value}`")
