"""How code runs a module: a container iterated by its class's ``forward`` rather than called, and a
module run without being called by its name (``model.forward(x)``, ``model.to(device)(x)``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel


def iterated_not_called(model: "FileModel", built: cst.BaseExpression) -> bool:
    """Whether ``built`` (``self.net = nn.Sequential(...)`` in a method, or the list ``layer = []`` that a
    ``self.net = nn.Sequential(*layer)`` of that method holds) is held by an attribute that the class's
    ``forward`` iterates (``for blk in self.net``, ``enumerate(self.net)``) and never calls: its items are
    applied one by one to what the loop gives them (a DenseNet block concatenates), not in order."""
    assign = model.parent(built)
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return False
    target = assign.targets[0].target
    if isinstance(built, cst.List) and isinstance(target, cst.Name):
        return any(iterated_not_called(model, call) for call in _containers_of(model, target.value, built))
    if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self"):
        return False
    info = model.enclosing_class(model.scope_of(built))
    forward = info.methods.get("forward") if info is not None else None
    if forward is None:
        return False
    name, iterated = target.attr.value, False
    for node in model.nodes_of(forward, cst.For):
        iterable = node.iter
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) and iterable.args \
                and iterable.func.value in ("enumerate", "reversed", "zip"):
            iterable = iterable.args[0].value
        iterated = iterated or _self_attribute(iterable, name)
    called = any(_self_attribute(call.func, name) for call in model.nodes_of(forward, cst.Call))
    return iterated and not called


def _self_attribute(expr: cst.BaseExpression, name: str) -> bool:
    return isinstance(expr, cst.Attribute) and expr.attr.value == name \
        and isinstance(expr.value, cst.Name) and expr.value.value == "self"


def _containers_of(model: "FileModel", name: str, built: cst.List) -> list[cst.Call]:
    """The calls ``Container(*name)`` / ``Container(name)`` in the function that builds the list ``name``."""
    scope = model.scope_of(built)
    if scope is None or scope.kind != "function":
        return []
    found = []
    for call in model.nodes_of(scope.node, cst.Call):
        if len(call.args) == 1 and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == name \
                and call.args[0].star in ("*", ""):
            found.append(call)
    return found


_MOVES = frozenset({"to", "cuda", "cpu", "half", "float", "double", "bfloat16"})


def forwarded(func: cst.BaseExpression) -> cst.BaseExpression | None:
    """The module a call runs when it is not called by its name: ``model.forward(x)`` (its ``forward``
    called directly) or ``model.to(device)(x)`` (called on what a move returns, the module itself)."""
    if isinstance(func, cst.Attribute) and func.attr.value == "forward":
        return func.value
    if isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute) and func.func.attr.value in _MOVES:
        return func.func.value
    return None
