"""Project functions that give back the module they are given (``model = load_checkpoint(model, path)``)
or swap its BatchNorm layers for others (``convert_bn_to_gn(model)``); an element of a returned tuple."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.classes import same_object
from bn_lint.semantic.knowledge.wrappers import HOLDS_MODULE
from bn_lint.semantic.project.definitions import project_builder
from bn_lint.semantic.project.returns import moved
from bn_lint.semantic.syntax.walk import returned_values

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel


def tuple_element(value: cst.BaseExpression | None, index: int) -> cst.BaseExpression | None:
    """Element ``index`` of a tuple display with no starred part (``return model, transforms``)."""
    if not isinstance(value, cst.Tuple) or index >= len(value.elements):
        return None
    if any(isinstance(element, cst.StarredElement) for element in value.elements):
        return None
    return value.elements[index].value


def swaps_batchnorm(model: "FileModel", value: cst.BaseExpression) -> bool:
    """``strip_batchnorm(net)``, ``convert_bn_to_gn(model)``: a project function that swaps a module's
    BatchNorm layers for others (``setattr`` / ``add_module`` / ``_modules[...]`` where it names BatchNorm)."""
    if not isinstance(value, cst.Call):
        return False
    func = value.func
    if isinstance(func, cst.Name) and func.value in model.functions and model.binding(func.value, None) is None:
        found: tuple["FileModel", cst.FunctionDef] | None = (model, model.functions[func.value])
    else:
        found = project_builder(model, func)
    if found is None:
        return False
    other, function = found
    cache = other.__dict__.setdefault("_swaps_cache", {})
    if function not in cache:
        text = other.code(function)
        cache[function] = ("BatchNorm" in text or "batchnorm" in text) and any(
            marker in text for marker in ("setattr(", ".add_module(", "._modules[", ".register_module("))
    return cache[function]


_CONTAINER_TYPES = frozenset({"list", "tuple", "dict", "set"})


def _for_containers_only(model: "FileModel", value: cst.BaseExpression | None, function: cst.FunctionDef) -> bool:
    """Whether a ``return`` sits in the body of ``if isinstance(x, (list, tuple)):`` (builtin containers only)."""
    if value is None:
        return False
    child: cst.CSTNode = value
    for ancestor in model.ancestors(value):
        if ancestor is function:
            return False
        if isinstance(ancestor, cst.If) and child is ancestor.body:
            test = ancestor.test
            if isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "isinstance" \
                    and len(test.args) == 2:
                kinds = test.args[1].value
                names = [e.value for e in kinds.elements] if isinstance(kinds, cst.Tuple) else [kinds]
                if names and all(isinstance(n, cst.Name) and n.value in _CONTAINER_TYPES for n in names):
                    return True
        child = ancestor
    return False


def _same_module(model: "FileModel", value: cst.BaseExpression, name: str) -> bool:
    """Whether a rebinding of parameter ``name`` keeps the module it holds: ``model = model.to(device)``,
    ``model = nn.DataParallel(model).cuda()`` (a wrapper holds the module, in its mode)."""
    value = same_object(value)
    if isinstance(value, cst.Call) and value.args and model.qualname(value.func) in HOLDS_MODULE:
        value = same_object(value.args[0].value)  # (a wrapper imported under another name: by what it is)
    return isinstance(value, cst.Name) and value.value == name


def passed_through(model: "FileModel", function: cst.FunctionDef, call: cst.Call,
                   index: int | None = None) -> cst.BaseExpression | None:
    """The argument of ``call`` that ``function`` gives back: every ``return`` of it returns the same
    parameter, which it rebinds only to itself moved or wrapped (``def load_checkpoint(model, path): ...;
    model = model.to(device); return model``); with ``index``,
    at that place of the tuple every ``return`` gives (``return epoch, model, optimizer``)."""
    if swaps_batchnorm(model, call):
        return None
    # (`return data.to(device)` gives back `data`; a return under `if isinstance(data, (list, tuple)):` is for
    # containers only: the course helper `to_device(ResNet9(), device)` gives back the module)
    returns = [r for r in returned_values(function) if not _for_containers_only(model, r, function)]
    if index is not None:
        returns = [tuple_element(r, index) for r in returns]
        if any(r is None for r in returns):
            return None
    returns = [moved(r) for r in returns]
    names = {r.value for r in returns if isinstance(r, cst.Name)}
    if not returns or len(names) != 1 or not all(isinstance(r, cst.Name) for r in returns):
        return None
    name = names.pop()
    scope = model.scopes.get(function)
    if scope is None or name in scope.opaque or name not in scope.params \
            or not all(_same_module(model, value, name) for value in scope.bindings.get(name, ())):
        return None
    positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    for index, arg in enumerate(call.args):
        if arg.star:
            return None
        if arg.keyword is not None:
            if arg.keyword.value == name:
                return arg.value
        elif index < len(positional) and positional[index] == name:
            return arg.value
    return None
