"""A model after a training step is in training mode (RULES.md, Evidence: Modes).

A function that runs a training step on a model it was given in the caller's mode
(``loss = crit(model(x), y); loss.backward()``) shows that mode: training. From the
step on, the model's ``entry`` facts read as ``train``, so an evaluation later in the
same function, or in a helper it then calls, sees a model in training mode with the
step as the reason ("trained at line 32").
"""
from __future__ import annotations

import re

import libcst as cst

from .state import ENTRY, TRAIN, UNKNOWN_MODE, Fact, _OPAQUE

TRAINED = "trained"
# a loss, not a model: `criterion(out, y)`, `self.loss_fn(...)` run in a training step
_LOSS_NAME = re.compile(r"(?:^|[._])(?:criterion\w*|crit|loss\w*|objective|metrics?|(?:\w+_)?cost)$", re.I)


def loss_named(key: str) -> bool:
    """Whether ``key`` names a loss or metric function (``criterion``, ``self.loss_fn``, ``loss_function``)."""
    return bool(_LOSS_NAME.search(key))


def after_training_step(facts: frozenset, call: cst.CSTNode, helper: str = "") -> frozenset:
    """``facts`` after a training step at ``call``: the ``entry`` path becomes ``train`` (why ``trained``);
    other paths keep their facts (a model put in eval on purpose and trained so stays in eval)."""
    if not any(trained_into(f) for f in facts):
        return facts
    where = f"trained by `{helper}()` at line {{line}}" if helper else "trained at line {line}"
    kinds = {f.kind for f in facts if f.kind is not None}
    kind = next(iter(kinds)) if len(kinds) == 1 else None
    return frozenset({f for f in facts if not trained_into(f)} | {Fact(TRAIN, call, TRAINED, where, kind)})


def trained_into(fact: Fact) -> bool:
    """Whether a training step makes this path's mode training mode (RULES.md, Modes: a model after a training step
    is in training mode until something puts it in eval): as its caller gives it, set out of sight, or built by a
    factory of unknown content (`model = model_maker()`)."""
    return fact.mode == ENTRY or fact == _OPAQUE or fact.mode == UNKNOWN_MODE and fact.why == "built"


def is_loss_value(model, call: cst.Call) -> bool:
    """Whether ``call``'s value is itself what ``.backward()`` is called on: ``crit(out, y).backward()``, or
    ``loss = crit(out, y)`` then ``loss.backward()`` (a loss, not a model run in the training step)."""
    from bn_lint.semantic.syntax.walk import walk

    parent = model.parent(call)
    if isinstance(parent, cst.Attribute) and parent.value is call and parent.attr.value == "backward":
        return True
    if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name)):
        return False
    name = parent.targets[0].target.value
    scope = next((a for a in model.ancestors(call) if isinstance(a, cst.FunctionDef)), model.module)
    for node in walk(scope):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "backward" \
                and isinstance(node.func.value, cst.Name) and node.func.value.value == name:
            return True
    return False
