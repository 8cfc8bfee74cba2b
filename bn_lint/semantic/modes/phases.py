"""The top level of a script or notebook is a sequence of phases: train one model, evaluate it, build and
train another. A training step later at the top level makes an earlier evaluation part of it only when the
evaluation's output reaches that step (a teacher's targets under ``no_grad``, then ``loss.backward()``);
a later phase that trains something else (``loss = vae_train_step(x)``) does not."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import libcst as cst

from .keys import _names_read

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

# node classes by name (libcst is loaded only for a file that needs a parse: not at import)
_CARRIERS = frozenset({"Attribute", "Call", "Arg", "Subscript", "SubscriptElement", "Index", "BinaryOperation",
                       "UnaryOperation", "Tuple", "Element"})
_ASSIGNS = frozenset({"Assign", "AugAssign", "AnnAssign"})
_SCOPES = frozenset({"FunctionDef", "ClassDef", "Lambda"})


def feeds_a_later_step(model: "FileModel", call: cst.CSTNode, steps: Iterable[cst.Call]) -> bool:
    """Whether the value of top-level ``call`` may reach one of the top-level training ``steps`` after it:
    through the names top-level assignments after it derive from it, read by the step (its receiver,
    ``loss.backward()``, or its arguments, ``train_step(x, y)``); True when the value is not kept in a name
    (not followed)."""
    parent = model.parent(call)
    while type(parent).__name__ in _CARRIERS:
        parent = model.parent(parent)
    if type(parent).__name__ not in _ASSIGNS:
        return True
    derived = _targets(parent)
    start = model.order(parent)
    later = sorted((node for node in model.nodes_of(model.module, cst.Assign, cst.AugAssign, cst.AnnAssign)
                    if model.order(node) > start and node.value is not None
                    and not any(type(a).__name__ in _SCOPES for a in model.ancestors(node))), key=model.order)
    for node in later:  # (forward from the evaluation: what its value flows into)
        if set(_names_read(node.value)) & derived:
            derived |= _targets(node)
    for step in steps:
        given = [a.value for a in step.args]
        if isinstance(step.func, cst.Attribute):
            given.append(step.func.value)
        if any(set(_names_read(value)) & derived for value in given):
            return True
    return False


def _targets(node: cst.CSTNode) -> set[str]:
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
    return {name for target in targets for name in _names_read(target)}
