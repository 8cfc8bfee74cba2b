"""What a method gives back, as far as a model's identity goes: a ``@classmethod`` alternative constructor
returns an instance of its class (``return cls(...)``, or ``model = cls(**hp); model.load_state_dict(sd);
return model``), and ``cls(...)`` inside one builds the class it is called on. Worked out once per method."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.classes import SAME_OBJECT_METHODS, decorated_as, enclosing_class
from bn_lint.semantic.syntax.walk import returned_values

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope




def moved(value: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """``model.to(device)`` -> ``model``: the object a device or dtype move gives back."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in SAME_OBJECT_METHODS:
        value = value.func.value
    return value


def class_param(method: cst.FunctionDef) -> str | None:
    """``cls`` of a ``@classmethod``; None for any other function."""
    if not decorated_as(method, "classmethod") or not method.params.params:
        return None
    return method.params.params[0].name.value


def returns_own_instance(model: "FileModel", method: cst.FunctionDef) -> bool:
    """Whether every ``return`` of the ``@classmethod`` ``method`` gives back an instance that ``cls(...)``
    builds: the call itself, or a local name bound to such calls only (device moves allowed)."""
    cache = model.__dict__.setdefault("_own_instance_cache", {})
    if method not in cache:
        cache[method] = _own_instance(model, method)
    return cache[method]


def _own_instance(model: "FileModel", method: cst.FunctionDef) -> bool:
    first = class_param(method)
    scope = model.scopes.get(method)
    returns = returned_values(method)
    if first is None or scope is None or not returns:
        return False
    for value in returns:
        value = moved(value)
        if isinstance(value, cst.Name) and value.value != first and value.value not in scope.opaque \
                and value.value not in scope.params:
            bound = scope.bindings.get(value.value) or []
            if not bound or not all(_calls_class(moved(one), first) for one in bound):
                return False
        elif not _calls_class(value, first):
            return False
    return True


def _calls_class(value: cst.BaseExpression | None, first: str) -> bool:
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == first


def class_of_cls_call(model: "FileModel", call: cst.Call, scope: "Scope | None") -> "ClassInfo | None":
    """The class ``cls(...)`` builds inside a ``@classmethod`` of it (the class it is defined in: a
    subclass calling it inherits it)."""
    if not isinstance(call.func, cst.Name):
        return None
    current = scope
    while current is not None and current.kind != "function":
        current = current.parent
    method = current.node if current is not None else None
    if not isinstance(method, cst.FunctionDef) or class_param(method) != call.func.value:
        return None
    return enclosing_class(model, current.parent)


def returned_function(model: "FileModel", func: cst.FunctionDef) -> cst.FunctionDef | None:
    """The function nested in ``func`` that every ``return`` of ``func`` gives back by name (a factory of a
    closure: ``def make_step(model, opt): def step(x): ...; return step``); None when a ``return`` gives back
    anything else, or the name is rebound in ``func``."""
    scope = model.scopes.get(func)
    returns = returned_values(func)
    if scope is None or not returns:
        return None
    names = {value.value if isinstance(value, cst.Name) else None for value in returns}
    if len(names) != 1 or None in names:
        return None
    name = names.pop()
    if name in scope.bindings or name in scope.params or name in scope.opaque:
        return None
    return scope.functions.get(name)
