"""Freeze keys across a call: a callee's parameters given as the caller's access paths (``model.backbone``, read by
the one access-path evaluator, :func:`bn_lint.semantic.modes.keys.key_of`), and the flag conditions a call's
arguments decide (read by :mod:`.reset_by_train`)."""
from __future__ import annotations

import ast

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind
from bn_lint.semantic.modes.conditions import _condition, _condition_name, holds
from bn_lint.semantic.modes.keys import key_of


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
    """The code of a literal argument (``True``, ``"train"``, ``0``): a flag the call decides."""
    if isinstance(value, cst.Name) and value.value in ("True", "False", "None"):
        return value.value
    if isinstance(value, cst.SimpleString) or isinstance(value, cst.Integer):
        return value.value
    return None


def literal_code(value: str) -> bool:
    """Whether bound code is a literal the call gives (not a module's key)."""
    return isinstance(value, str) and (value in ("True", "False", "None") or value[:1] in "\"'0123456789"
                                       or value[:2] in ('b"', "b'"))


def rebind(key: str | None, bind: dict) -> str | None:
    """``key`` (rooted in a parameter) in the caller's terms; unbound roots stay as they are."""
    if key is None:
        return None
    root, dot, rest = key.partition(".")
    if root in bind:
        value = bind[root]
        if not isinstance(value, str) or literal_code(value):
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


def decided_flag(value: cst.BaseExpression, bind: dict, flags: dict) -> bool | None:
    """What a flag is for the call walked: ``True`` / ``False``, a local flag decided before, a parameter the
    call gives a literal (``train``, ``not is_val``, ``phase == "train"``); None when open."""
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        return value.value == "True"
    test = _condition(value)
    if test is None:
        return None
    name = _condition_name(test[0])
    if name == test[0] and name in flags:
        return flags[name] == test[1]
    code = bind.get(name)
    if not isinstance(code, str):
        return None
    try:
        literal = ast.literal_eval(code)
    except (ValueError, SyntaxError):
        return None
    return holds(test[0], literal) == test[1]


def to_eval(call: cst.Call) -> bool:
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    if func.attr.value == "eval":
        return not call.args
    return func.attr.value == "train" and len(call.args) == 1 and isinstance(call.args[0].value, cst.Name) \
        and call.args[0].value.value == "False"


def trains(call: cst.Call) -> bool:
    """``m.train()`` / ``m.train(True)`` / ``m.train(mode=True)``."""
    if not call.args:
        return True
    value = call.args[0].value
    return len(call.args) == 1 and isinstance(value, cst.Name) and value.value == "True"
