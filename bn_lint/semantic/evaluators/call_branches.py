"""Which branches of a function a given call cannot run.

``make_layers(cfg)`` with ``def make_layers(cfg, batch_norm=False)``: the suite under
``if batch_norm:`` never runs for that call, so what it builds (a BatchNorm) is not what the
call returns. Only flags the code shows: a parameter the call gives a literal (or constant)
``True``/``False``, or leaves at such a default, tested as ``if flag:`` / ``if not flag:``
and never assigned in the function.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.syntax.constants import evaluate

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


def dead_suites(model: "FileModel", function: cst.FunctionDef, call: cst.Call, caller: "FileModel",
                scope: "Scope | None", method: bool = False) -> frozenset[cst.CSTNode]:
    """The suites of ``function`` (of ``model``) that ``call`` (in ``caller``, seen from ``scope``) cannot run;
    ``method``: ``function`` is ``__init__`` and ``call`` builds its class (the call gives no ``self``)."""
    flags = _flags(model, function, call, caller, scope, method)
    dead: set[cst.CSTNode] = set()
    for branch, name, negated in _flag_tests(model, function) if flags else ():
        if name not in flags:
            continue
        if flags[name] == negated:  # (the suite under the test does not run)
            dead.add(branch.body)
        elif branch.orelse is not None:
            dead.add(branch.orelse)
    return frozenset(dead)


def flag_params(model: "FileModel", function: cst.FunctionDef) -> list[str]:
    """The parameters of ``function`` that an ``if flag:`` / ``if not flag:`` of it tests and it never
    assigns: what a call can switch suites off with (kept in the project index, so a file whose classes
    have none need not be parsed to know)."""
    return sorted({name for _, name, _ in _flag_tests(model, function)})


def _flag_tests(model: "FileModel", function: cst.FunctionDef) -> list[tuple[cst.If, str, bool]]:
    """(branch, parameter, negated) for each ``if flag:`` / ``if not flag:`` of ``function`` on a parameter
    it never assigns."""
    params = function.params
    names = {p.name.value for p in [*params.posonly_params, *params.params, *params.kwonly_params]}
    assigned = {node.target.value for node in model.nodes_of(function, cst.AssignTarget, cst.AugAssign, cst.AnnAssign)
                if isinstance(node.target, cst.Name)}
    found = []
    for branch in model.nodes_of(function, cst.If):
        test, negated = branch.test, False
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, negated = test.expression, True
        if isinstance(test, cst.Name) and test.value in names and test.value not in assigned:
            found.append((branch, test.value, negated))
    return found


def in_dead_suite(model: "FileModel", node: cst.CSTNode, dead: frozenset[cst.CSTNode]) -> bool:
    """Whether ``node`` (or an enclosing node of ``model``) is one of the ``dead`` suites."""
    return node in dead or any(ancestor in dead for ancestor in model.ancestors(node))


def _flags(model: "FileModel", function: cst.FunctionDef, call: cst.Call, caller: "FileModel",
           scope: "Scope | None", method: bool) -> dict[str, bool]:
    """Parameter -> the bool it holds for ``call``, where the code shows it."""
    params = function.params
    if any(arg.star for arg in call.args) or params.star_kwarg is not None:
        return {}
    flags: dict[str, bool] = {}
    for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
        if isinstance(param.default, cst.Name) and param.default.value in ("True", "False"):
            flags[param.name.value] = param.default.value == "True"
    positional = [p.name.value for p in [*params.posonly_params, *params.params]][1 if method else 0:]
    given: dict[str, cst.BaseExpression] = {}
    for index, arg in enumerate(call.args):
        if arg.keyword is not None:
            given[arg.keyword.value] = arg.value
        elif index < len(positional):
            given[positional[index]] = arg.value
        else:
            return {}  # (more positional arguments than parameters: not this function's call)
    for name, value in given.items():
        found = evaluate(value, caller, scope)
        if found is True or found is False:
            flags[name] = found
        else:
            flags.pop(name, None)
    return flags
