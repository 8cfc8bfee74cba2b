"""The numbers a parameter takes: what each call of this file gives it, or its default."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from .batches import Size
    from .model import FileModel, Scope


def parameter_numbers(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None") -> Iterator["Size"]:
    """For ``expr`` naming a parameter of a function or constructor of this file: the number each call
    here gives it (its default where a call leaves it out, or where nothing calls it), with where it
    comes from; nothing for a value no call shows."""
    from .batches import Size, bind_args

    if not isinstance(expr, cst.Name) or scope is None or scope.kind != "function" or expr.value not in scope.params:
        return
    function = scope.node
    called = model.called_as(function) if isinstance(function, cst.FunctionDef) else None
    if called is None:
        return
    callee, skip = called
    param = scope.params[expr.value]
    names = tuple(p.name.value for p in (*function.params.posonly_params, *function.params.params))[skip:]
    calls = [site for site in model.calls if isinstance(site.node.func, cst.Name) and site.node.func.value == callee]
    for site in calls or [None]:
        bound = bind_args(site.node, names) if site is not None else {}
        if bound is None:
            continue
        if expr.value in bound:
            found = model.batches.number(bound[expr.value].value, site.scope)
            where = f"given at line {model.line_of(site.node)}"
        elif param.default is not None:
            found = model.batches.number(param.default, model.scope_of(function))
            where = f"the default of `{expr.value}`"
        else:
            continue
        if found is not None:
            yield Size(found.value, where)

