"""``super()`` calls for the chain interpreter: the base class's ``__init__`` or ``forward``, run on the instance's
own attributes, whether the base is a class of this file or one imported from another project file
(``class ConvBNBlock(ConvBlock)`` with ``ConvBlock`` of ``base.py``, run by that file's analysis)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.project.definitions import project_class
from bn_lint.semantic.shapes.values import GAP
from bn_lint.semantic.syntax.constants import UNKNOWN

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo
    from bn_lint.semantic.shapes.frame import Frame
    from bn_lint.semantic.shapes.producers import ChainAnalysis


def super_init(analysis: "ChainAnalysis", call: cst.Call, frame: "Frame") -> None:
    """``super().__init__(...)``: a Sequential subclass's layers, in order; else the base's ``__init__``."""
    state = frame.self_state
    args, kwargs, lost = analysis.calls.args(call, frame)
    if state is None:
        return None
    if state.seq is not None:
        items: list[Any] = list(args)
        if len(args) == 1 and isinstance(args[0], dict):
            items = list(args[0].values())
        if lost:
            items.append(GAP)
        state.seq = analysis.layers.extend(state.seq, items)
        return None
    found = base_method(analysis, state.info, "__init__")
    if found is not None:
        found[0].calls.call_function(found[1], state, args, kwargs, frame, site=call, unknown_rest=lost)
    return None


def super_call(analysis: "ChainAnalysis", call: cst.Call, method: str, frame: "Frame") -> Any:
    """``super().forward(x)`` (not a Sequential's): the base class's method, run on this instance's attributes."""
    state = frame.self_state
    args, kwargs, lost = analysis.calls.args(call, frame)
    found = base_method(analysis, state.info, method) if state is not None else None
    if found is None:
        return UNKNOWN
    return found[0].calls.call_function(found[1], state, args, kwargs, frame, site=call, unknown_rest=lost)


def base_method(analysis: "ChainAnalysis", info: "ClassInfo", name: str) -> "tuple[ChainAnalysis, cst.FunctionDef] | None":
    """The method ``name`` of ``info``'s bases, in order, with the analysis that runs it: ``analysis`` for a class
    of its file, the other file's (kept in ``analysis._foreign``) for a base class imported from it."""
    model = analysis.model
    for base in info.bases:
        if isinstance(base, cst.Name) and base.value in model.classes:
            method = analysis._method(model.classes[base.value], name)
            if method is not None:
                return analysis, method
            continue
        found = project_class(model, base)
        if found is None or found[0] is model:
            continue
        other, base_info = found
        runner = analysis._foreign.get(other.path)
        if runner is None:
            runner = analysis._foreign[other.path] = type(analysis)(other)
        method = runner._method(base_info, name)
        if method is not None:
            return runner, method
    return None
