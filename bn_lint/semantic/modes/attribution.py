"""Backward passes that train nothing: gradients taken to be read (saliency, Grad-CAM, input gradients).

A ``backward()`` trains a model only when something applies the gradients to its parameters: an optimizer's
step, or a manual update (``p.data -= lr * p.grad``). In a file that builds, steps or names no optimizer,
names no trainer or framework that could step one, and updates nothing in place from a gradient, a backward
of a model's score (``logits.max().backward()``, ``out[0, c].backward()``; not of a loss) computes gradients
for attribution: the forward before it is no training step (RULES.md, BN101: calls that feed a backward pass
are training when the backward trains).
"""
from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

# what may apply gradients, in a file's text: an optimizer (built, stepped, passed in), a trainer or a
# framework that steps one, an explicit step, a manual update from `.grad`
_APPLIES_GRADIENTS = re.compile(
    r"optim|\.step\s*\(|minimize|trainer|lightning|accelerat|fabric|deepspeed|manual_backward"
    r"|(?:-=|\+=|\.(?:sub_|add_|copy_)\s*\().*\.grad\b", re.IGNORECASE)
_LOSS_WORDS = re.compile(r"loss|criterion|crit\b|objective|cost", re.IGNORECASE)
_NOTHING_APPLIED: "weakref.WeakKeyDictionary[FileModel, bool]" = weakref.WeakKeyDictionary()


def applies_no_gradients(model: "FileModel") -> bool:
    """Whether nothing in the file's text may apply a gradient to parameters (see the module's docstring)."""
    found = _NOTHING_APPLIED.get(model)
    if found is None:
        found = _NOTHING_APPLIED[model] = _APPLIES_GRADIENTS.search(model.source) is None
    return found


def attribution_backward(model: "FileModel", call: cst.Call) -> bool:
    """Whether ``call`` (``<x>.backward(...)``) takes gradients of a score to be read, not a training step:
    its receiver is no loss (by its text, or the text of what its name is bound to) and the file applies no
    gradients."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "backward") or not applies_no_gradients(model):
        return False
    receiver = func.value
    texts = [model.code(receiver)]
    if isinstance(receiver, cst.Name):
        bound = model.binding(receiver.value, model.scope_of(call))
        if bound is not None and isinstance(bound[0], cst.CSTNode):
            texts.append(model.code(bound[0]))
    return not any(_LOSS_WORDS.search(text) for text in texts)


def input_gradient_backward(model: "FileModel", call: cst.Call) -> bool:
    """Whether ``call`` (``loss.backward()``) takes the gradient of an input, not a training step: its function
    steps nothing (no ``.step(``, no optimizer) and reads ``.grad`` of a tensor it asks gradients of
    (``x = x.clone().requires_grad_(True)`` ... ``x.grad.sign()``: an adversarial attack, a saliency map)."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "backward"):
        return False
    function = next((a for a in model.ancestors(call) if isinstance(a, cst.FunctionDef)), None)
    if function is None:
        return False
    text = model.code(function)
    if _steps_inputs_only(model, call):
        return True  # (`optimizer_delta = optim.SGD([delta], lr)`, its step after the backward: an attack's perturbation)
    if _STEPS.search(text):
        return False
    asked = set(_ASKS_GRADIENT.findall(text)) | set(_ASKS_GRADIENT_ARG.findall(text))
    return any(name in asked for name in _READS_GRAD.findall(text))


def _steps_inputs_only(model: "FileModel", call: cst.Call) -> bool:
    """Whether the optimizer steps after ``call`` in its loop (or function) are all of optimizers built over a list of
    plain tensors the code names (``optim.SGD([delta], lr=...)``), none over a module's ``parameters()``: the backward
    moves an input (an attack's perturbation, an inverted image), it trains no model."""
    around = next((a for a in model.ancestors(call) if isinstance(a, (cst.For, cst.While, cst.FunctionDef))), None)
    if around is None:
        return False
    steps = [node for node in model.nodes_of(around, cst.Call) if isinstance(node.func, cst.Attribute)
             and node.func.attr.value == "step" and isinstance(node.func.value, cst.Name)]
    if not steps:
        return False
    return all(input_optimizer_step(model, step) for step in steps)


def input_optimizer_step(model: "FileModel", step: cst.Call) -> bool:
    """Whether ``step`` (``opt.step()``) steps an optimizer built over a list of plain tensors the code names
    (``optimizer_delta = optim.SGD([delta], lr=...)``): it moves those tensors, not a model's parameters."""
    func = step.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "step" and isinstance(func.value, cst.Name)):
        return False
    bound = model.binding(func.value.value, model.scope_of(step))
    built = bound[0] if bound is not None else None
    return isinstance(built, cst.Call) and (model.qualname(built.func) or "").startswith("torch.optim.") \
        and bool(built.args) and isinstance(built.args[0].value, cst.List) \
        and all(isinstance(e.value, cst.Name) for e in built.args[0].value.elements)


_STEPS = re.compile(r"\.step\s*\(|optim|minimize|zero_grad|\.parameters\s*\(")
# `x = ....requires_grad_()`, `x.requires_grad = True`, `x = torch.zeros_like(y, requires_grad=True)`
_ASKS_GRADIENT = re.compile(r"\b(\w+)\s*(?:=[^\n]*\.requires_grad_\s*\(\s*(?:True)?\s*\)|\.requires_grad\s*=\s*True|\.requires_grad_\s*\(\s*(?:True)?\s*\))")
_ASKS_GRADIENT_ARG = re.compile(r"\b(\w+)\s*=[^\n]*requires_grad\s*=\s*True")
_READS_GRAD = re.compile(r"\b(\w+)\.grad\b")


def attribution_only(model: "FileModel") -> bool:
    """Whether every ``backward()`` of the file is an attribution backward (and it has one)."""
    calls = [call for call in model.nodes_of(model.module, cst.Call)
             if isinstance(call.func, cst.Attribute) and call.func.attr.value == "backward"]
    return bool(calls) and all(attribution_backward(model, call) for call in calls)
