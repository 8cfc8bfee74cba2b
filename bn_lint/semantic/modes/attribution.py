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


def attribution_only(model: "FileModel") -> bool:
    """Whether every ``backward()`` of the file is an attribution backward (and it has one)."""
    calls = [call for call in model.nodes_of(model.module, cst.Call)
             if isinstance(call.func, cst.Attribute) and call.func.attr.value == "backward"]
    return bool(calls) and all(attribution_backward(model, call) for call in calls)
