"""What a loop over a module walks: the ``m.modules()`` / ``m.parameters()`` call behind its iterable, also through
``list(...)``, a local name bound once to it, or a choice between a DDP-wrapped and a plain model."""
from __future__ import annotations

from typing import Callable, Optional

import libcst as cst

from .walk import dotted_parts

WALKS = frozenset({"modules", "named_modules", "children", "named_children", "parameters", "named_parameters"})


def walked_call(it: cst.BaseExpression, bound_value: Optional[Callable[[str], Optional[cst.BaseExpression]]] = None
                ) -> cst.Call | None:
    """The ``X.modules()`` (or another of ``WALKS``) call a loop over ``it`` walks, or None. ``bound_value(name)`` is
    the one value a local name is bound to (None when it is not bound once)."""
    for _ in range(4):
        if isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value in ("list", "tuple") \
                and len(it.args) == 1:
            it = it.args[0].value
        elif isinstance(it, cst.IfExp):
            it = _unwrapped_choice(it)
        elif isinstance(it, cst.Name) and bound_value is not None and (value := bound_value(it.value)) is not None:
            it = value
        else:
            break
    if isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and it.func.attr.value in WALKS:
        return it
    return None


def _unwrapped_choice(choice: cst.IfExp) -> cst.BaseExpression | None:
    """``model.module.visual.modules() if isinstance(model, DDP) else model.visual.modules()``: the plain arm, where
    the two arms walk the same parts and differ only by a ``.module`` step."""
    arms = [walked_call(choice.body), walked_call(choice.orelse)]
    if any(arm is None for arm in arms) or arms[0].func.attr.value != arms[1].func.attr.value:
        return None
    paths = [dotted_parts(arm.func.value) for arm in arms]
    if None in paths or [p for p in paths[0] if p != "module"] != [p for p in paths[1] if p != "module"]:
        return None
    return arms[1] if paths[1].count("module") <= paths[0].count("module") else arms[0]
