"""Runs of a model instrumented by forward hooks (RULES.md, BN101: evaluation recognised from the code).

A function that registers forward hooks (``m.register_forward_hook(record)``, on the model's modules directly or
through ``model.apply(add_hooks)``) and then runs the model, training nothing, runs it for what the hooks record:
layer shapes, FLOPs, activations. That is an inspection of the model, an inference run, as a model summary under
``torch.no_grad()`` is; in training mode its BatchNorm layers normalise with the statistics of that one input and
move their running averages toward it. A function that also takes gradients (backward hooks, Grad-CAM) probes
the model's gradients: not an inspection run here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.nn_modules.uses import forwarded

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

_HOOKS = frozenset({"register_forward_hook", "register_forward_pre_hook"})


def hooks_before(model: "FileModel", node: cst.CSTNode, function: cst.FunctionDef | None) -> cst.Call | None:
    """The first forward-hook registration of ``function`` (its own code, or a function nested in it that it
    hands to ``apply`` or calls) before the model call ``node``, itself in ``function``'s own code; None when
    there is none (or ``node`` is no call of a named module)."""
    if function is None or not isinstance(node, cst.Call):
        return None
    if any(isinstance(call.func, cst.Attribute) and call.func.attr.value == "backward"
           or model.qualname(call.func) == "torch.autograd.grad" for call in model.nodes_of(function, cst.Call)):
        return None  # (gradients taken after the run: a gradient probe, judged by what reads its output, not here)
    func = forwarded(node.func) or node.func
    if not isinstance(func, (cst.Name, cst.Attribute)) or isinstance(func, cst.Attribute) and func.attr.value in _HOOKS:
        return None
    at = model.order(node)
    nested = {inner.name.value: inner for inner in model.nodes_of(function, cst.FunctionDef) if inner is not function}
    reached = {name for call in model.nodes_of(function, cst.Call) if model.order(call) < at
               for name in _named(call) if name in nested}
    for call in sorted(model.nodes_of(function, cst.Call), key=model.order):
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in _HOOKS):
            continue
        owner = next((a for a in model.ancestors(call) if isinstance(a, cst.FunctionDef)), None)
        if owner is function and model.order(call) < at:
            return call
        while owner is not None and owner is not function:
            if owner.name.value in reached:
                return call
            owner = next((a for a in model.ancestors(owner) if isinstance(a, cst.FunctionDef)), None)
    return None


def _named(call: cst.Call) -> list[str]:
    """The names a call runs or hands on: ``add_hooks(m)`` -> add_hooks; ``model.apply(add_hooks)`` -> add_hooks."""
    names = [call.func.value] if isinstance(call.func, cst.Name) else []
    return names + [arg.value.value for arg in call.args if isinstance(arg.value, cst.Name)]
