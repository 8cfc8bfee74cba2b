"""Which object a call runs on, and which function runs: the class of the instance an inherited method runs for
(virtual dispatch of its calls on ``self``), the function a callable parameter stands for, the instances a loop
variable takes from a list of constructions."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.nn_modules.bearing import _imported_name
from bn_lint.semantic.project.definitions import inherited_definition
from bn_lint.semantic.project.overrides import abstract
from .keys import _unwrap_passthrough
from .list_entries import iterated_values
from .known_calls import _COPIES

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel
    from .analysis import ModeAnalysis

# a call that runs a method inherited from a base class, on an instance of a subclass -> (that subclass's file
# model, class): the calls on `self` in the method's body run what the subclass defines (``given_summary``)
RECEIVERS: dict[cst.Call, tuple["FileModel", "ClassInfo"]] = {}
_MAX_RECEIVERS = 4096  # (each is read right after it is written: older ones are let go, so a long run, the
# language server's, keeps no old file models alive through them)


def record_receiver(call: cst.Call, owner: "FileModel", receiver: "ClassInfo") -> None:
    """``call`` runs an inherited method on an instance of ``receiver`` (of ``owner``'s file)."""
    if len(RECEIVERS) >= _MAX_RECEIVERS:
        RECEIVERS.clear()
    RECEIVERS[call] = (owner, receiver)


def dispatched_method(analysis: "ModeAnalysis", info: "ClassInfo | None", name: str,
                      call: cst.Call) -> tuple["FileModel", "ClassInfo", cst.FunctionDef] | None:
    """``self.name()`` in a method of ``info`` whose summary is being worked out for an instance of a subclass
    (``analysis.dispatch``, set by ``given_summary``): the method that subclass, or a class between it and ``info``,
    defines; None when the call runs ``info``'s own (or there is no such instance)."""
    if info is None or not analysis.dispatch:
        return None
    owner, receiver = analysis.dispatch[-1]
    if receiver is info:
        return None
    found = (owner, receiver, receiver.methods[name]) if name in receiver.methods \
        else inherited_definition(owner, receiver, name)
    if found is None or found[1] is info or abstract(found[2]):
        return None
    record_receiver(call, owner, receiver)  # (and the calls on `self` of that method dispatch the same way)
    return found


def given_function(analysis: "ModeAnalysis", param: str, call: cst.Call,
                   other_files: bool) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
    """``def loop(model, train_fn): train_fn(model, x)``: the project function (of this file or, with
    ``other_files``, imported) that every call of ``loop`` in this file passes as ``train_fn``, by its name;
    None when they pass different ones, something else, or nothing (the parameter's default)."""
    from bn_lint.semantic.evaluators.call_binding import given_values

    model = analysis.model
    function = analysis.enclosing_function(call)
    scope = model.scopes.get(function) if function is not None else None
    if scope is None or param not in scope.params or model.binding(param, scope) is not None:
        return None
    memo = analysis.__dict__.setdefault("_given_functions", {})
    if (function, param) not in memo:
        memo[(function, param)] = None  # (a caller that passes it on to itself: no answer)
        given = given_values(model, function, param) or []
        found = {_function_named(analysis, g.value, g.scope, other_files) if g.site is not None and not g.default
                 else None for g in given}
        memo[(function, param)] = found.pop() if len(found) == 1 else None
    return memo[(function, param)]


def _function_named(analysis: "ModeAnalysis", value: cst.BaseExpression | None, scope,
                    other_files: bool) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
    """The project function a name written in ``scope`` stands for: this file's module-level function, or
    (``other_files``) one imported from another project file."""
    model = analysis.model
    if not isinstance(value, cst.Name) or model.binding(value.value, scope) is not None:
        return None
    if value.value in model.functions:
        return analysis, model.functions[value.value]
    dotted = _imported_name(model, value) if other_files else None
    found = model.imported(dotted, "def") if dotted else None
    if found is None or found[1] not in found[0].functions:
        return None
    return found[0].analysis(type(analysis)), found[0].functions[found[1]]


def loop_items(model: "FileModel", name: str, call: cst.Call) -> list[cst.BaseExpression]:
    """The values a loop variable ``name`` takes at ``call``, where the code writes them: the elements of the list
    or tuple it iterates, or of the one a name is bound to (``clients = [Client(m) for _ in range(n)]``: the
    element built each time; ``clients = []`` filled by ``clients.append(Client(m))``)."""
    for ancestor in model.ancestors(call):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return []
        iterated = _iterated_as(ancestor, name) if isinstance(ancestor, cst.For) else None
        if iterated is None:
            continue
        values = iterated_values(model, iterated, model.scope_of(ancestor))
        return [_unwrap_passthrough(value) for value in values or ()]
    return []


def built_alternatives(model: "FileModel", name: str, call: cst.Call) -> list[cst.BaseExpression]:
    """The values that build the module ``name`` holds at ``call``, in the order of the code: each binding
    but the copies of the same model (``model = tq.fuse_modules_qat(model, ...)``, ``model = model.to(d)``)."""
    found = model.bindings(name, model.scope_of(call))
    if found is None:
        return []
    built = []
    for value in found[0]:
        value = _unwrap_passthrough(value)
        if isinstance(value, cst.Call) and model.qualname(value.func) in _COPIES and value.args \
                and isinstance(value.args[0].value, cst.Name) and value.args[0].value.value == name:
            continue
        if isinstance(value, cst.Name) and value.value == name:
            continue
        built.append(value)
    return built


def _iterated_as(loop: cst.For, name: str) -> cst.BaseExpression | None:
    """What ``loop`` iterates when its variable ``name`` takes the items: ``for name in items``, ``for i, name in
    enumerate(items)`` (``items``); None when ``name`` is not its item."""
    target, iterated = loop.target, loop.iter
    if isinstance(target, cst.Name) and target.value == name:
        return iterated
    if isinstance(target, cst.Tuple) and len(target.elements) == 2 and isinstance(target.elements[1].value, cst.Name) \
            and target.elements[1].value.value == name and isinstance(iterated, cst.Call) \
            and isinstance(iterated.func, cst.Name) and iterated.func.value == "enumerate" and iterated.args:
        return iterated.args[0].value
    return None
