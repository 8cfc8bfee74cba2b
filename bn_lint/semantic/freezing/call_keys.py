"""Freeze keys across a call: a module as code (``model.backbone``), a callee's parameters given as the
caller's code, and the flag conditions a call's arguments decide (read by :mod:`.reset_by_train`)."""
from __future__ import annotations

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind


def key_of(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        inner = key_of(expr.value)
        return f"{inner}.{expr.attr.value}" if inner is not None else None
    return None


def param_names(func: cst.FunctionDef) -> list[str]:
    params = func.params
    return [p.name.value for p in [*params.posonly_params, *params.params, *params.kwonly_params]]


def bind_keys(call: cst.Call, func: cst.FunctionDef, receiver: str | None) -> dict:
    """Parameter -> the code the call gives it (``self`` -> the receiver)."""
    names = param_names(func)
    out: dict = {}
    if receiver is not None and names and names[0] == "self":
        out["self"] = receiver
        names = names[1:]
    out.update(bind(call, names).values)
    bound: dict = {}
    for k, v in out.items():
        if isinstance(v, str):
            bound[k] = v
        elif _literal(v):
            bound[k] = _literal(v)
        elif isinstance(v, (cst.List, cst.Tuple)):
            bound[k + "[]"] = [key_of(e.value) for e in v.elements if key_of(e.value) is not None]
        else:
            bound[k] = key_of(v)
    return bound


def owners_in_caller(owner: str, bind: dict) -> list[str]:
    """``owner`` in the caller's terms: one key, or one per listed module for ``modules[]``."""
    root, dot, rest = owner.partition(".")
    if root.endswith("[]"):
        values = bind.get(root)
        return [v + dot + rest for v in values] if isinstance(values, list) else []
    found = rebind(owner, bind)
    return [found] if found is not None else []


def _literal(value) -> str | None:
    if isinstance(value, cst.Name) and value.value in ("True", "False", "None"):
        return value.value
    return None


def rebind(key: str | None, bind: dict) -> str | None:
    """``key`` (rooted in a parameter) in the caller's terms; unbound roots stay as they are."""
    if key is None:
        return None
    root, dot, rest = key.partition(".")
    if root in bind:
        value = bind[root]
        if not isinstance(value, str) or value in ("True", "False", "None"):
            return None
        return value + dot + rest
    return key


def resolve_conditions(conditions, bind: dict, func: cst.FunctionDef):
    """The conditions still open after the call's arguments (and the defaults) are put in; None when one
    is known false."""
    open_ = []
    defaults = {p.name.value: p.default for p in [*func.params.params, *func.params.kwonly_params]}
    for name, needed in conditions:
        value = bind.get(name)
        if value is None and isinstance(defaults.get(name), cst.Name):
            value = defaults[name].value
        if value in ("True", "False"):
            if (value == "True") != needed:
                return None
            continue
        open_.append((name, needed))
    return tuple(open_)
