"""Whether a name or attribute that code sets ``.training`` on holds an ``nn.Module`` (RULES.md, BN102).

``net.training = False`` flips one flag only when ``net`` is a module: one the code
builds (:func:`.modules.model_kind`), a parameter every call in this file gives a
module, a name the same function calls or uses like a module (``net(x)``,
``net.parameters()``), or an attribute its class of this file sets to modules.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.modes import ModeAnalysis
from bn_lint.semantic.nn_modules.bearing import model_kind

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


def holds_module(model: "FileModel", name: cst.Name, scope: "Scope") -> bool:
    """``net`` in ``net.training = False`` is known to hold an ``nn.Module``."""
    return model_kind(model, name, scope) is not None or _module_parameter(model, name.value, scope) \
        or _used_as_module(model, name.value, scope)


def _module_parameter(model: "FileModel", name: str, scope: "Scope") -> bool:
    """``name`` is a parameter of a function that every call in this file gives a module."""
    if scope.kind != "function" or name not in scope.params or not isinstance(scope.node, cst.FunctionDef):
        return False
    return bool(model.analysis(ModeAnalysis).entry.passed_kinds(scope.node, name))


# methods only an nn.Module has (a config object may have `.training`, not these)
_MODULE_METHODS = frozenset({"eval", "train", "parameters", "named_parameters", "modules", "named_modules",
                             "children", "state_dict", "load_state_dict", "zero_grad", "requires_grad_", "apply"})


def _used_as_module(model: "FileModel", name: str, scope: "Scope") -> bool:
    """``encoder(x)`` or ``encoder.train()`` in the same function: ``encoder`` is a module, whatever it is given."""
    if scope.kind != "function":
        return False
    for site in model.calls:
        if site.scope is not scope:
            continue
        func = site.node.func
        if isinstance(func, cst.Name) and func.value == name:
            return True
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == name \
                and func.attr.value in _MODULE_METHODS:
            return True
    return False


def module_attribute(model: "FileModel", expr: cst.Attribute, scope: "Scope") -> bool:
    """``self.frontend`` / ``net.frontend``: an attribute that its class of this file sets to a module."""
    if model_kind(model, expr, scope) is not None:
        return True
    owner = expr.value
    if not isinstance(owner, cst.Name):
        return False
    if owner.value == "self":
        info = model.enclosing_class(scope)
    else:
        bound = model.binding(owner.value, scope)
        call = bound[0] if bound is not None else None
        info = (model.classes.get(call.func.value)
                if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) else None)
    values = info.attributes.get(expr.attr.value) if info is not None else None
    if bool(values) and all(model_kind(model, value, where) is not None for value, where in values):
        return True
    # `self.teacher = teacher.to(device)` from a parameter, and the class calls `self.teacher(x)`: a module
    return owner.value == "self" and info is not None and bool(values) and any(
        isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name) and call.func.value.value == "self"
        and call.func.attr.value == expr.attr.value for call in model.nodes_of(info.node, cst.Call))
