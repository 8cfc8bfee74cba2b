"""Evaluation recognised from the data a model is run on (RULES.md, BN101).

A loop over evaluation data (``test_loader``, ``val_dl``, ``valid_iterator``,
``testdataloader``, ``self.dev_set``) that takes no training step runs the model
for evaluation, whatever the function around it is called and whether or not
gradients are off.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.syntax.walk import walk
from bn_lint.semantic.knowledge.training_steps import BACKWARD_METHODS

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

# one word of an identifier (split at `_` and `.`) naming evaluation data: `val`, `test_loader`'s `test`,
# `testloader`, `validdataloader`; not `value(s)`, `testing_utils`, `evaluate` (a function)
_DATA = r"(?:loader|dataloader|dl|iter|iterator|set|dataset|data|batch|batches|ds)"
_EVAL_DATA_WORD = re.compile(r"(?:test|val|valid|validation|eval|evaluation|holdout|heldout)" + _DATA + r"?s?|dev" + _DATA + "s?")
_DATA_WORD = re.compile(_DATA + "s?")
PASSTHROUGH = frozenset({"to", "cuda", "cpu", "float", "double", "half", "long", "detach", "contiguous"})


def eval_data_words(expr: cst.BaseExpression) -> str | None:
    """The identifier in ``expr`` that names evaluation data (``test_loader`` in
    ``enumerate(self.test_loader)``, ``dev_loader``; not ``dev``, a device), or None."""
    for node in walk(expr):
        name = node.value if isinstance(node, cst.Name) else None
        if name is None:
            continue
        words = [word for word in name.lower().split("_") if word]
        if any(_EVAL_DATA_WORD.fullmatch(word) for word in words) or (
                "dev" in words and any(_DATA_WORD.fullmatch(word) for word in words)):
            return name
    return None


def unwrapped(value: cst.BaseExpression) -> cst.BaseExpression:
    """``x.to(device).float()`` -> ``x``: the same data; ``next(dev_iter)``, ``next(iter(val_loader))`` -> the
    loader a batch is drawn from."""
    while isinstance(value, cst.Call):
        if isinstance(value.func, cst.Attribute) and value.func.attr.value in PASSTHROUGH:
            value = value.func.value
        elif isinstance(value.func, cst.Name) and value.func.value in ("next", "iter") and len(value.args) == 1:
            value = value.args[0].value
        else:
            break
    return value


def eval_data_loop(model: "FileModel", node: cst.CSTNode) -> str | None:
    """Why ``node`` (a model call) runs on evaluation data: a ``for`` around it, in the same function,
    iterates over data named for evaluation. None otherwise."""
    for ancestor in model.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        if isinstance(ancestor, cst.For) and not _inside(node, ancestor.iter):
            name = eval_data_words(ancestor.iter)
            if name is not None:
                return f"in a loop over `{name}`"
    return None


def _inside(node: cst.CSTNode, within: cst.CSTNode) -> bool:
    return any(inner is node for inner in walk(within))


def eval_input(model: "FileModel", call: cst.Call, loop: cst.CSTNode) -> str | None:
    """The evaluation data ``call``'s arguments come from inside ``loop`` (a training loop that takes one
    batch from the test loader now and then: ``_, (x, y) = next(enumerate(test_loader))`` ... ``model(x)``):
    names assigned, before ``call`` in source order, from an expression naming evaluation data or from
    names so assigned. None when they do not."""
    if not isinstance(call, cst.Call) or not call.args:
        return None
    at = model.order(call)
    derived: dict[str, str] = {}
    assigns = [n for n in model.nodes_of(loop, cst.Assign) if model.order(n) < at]
    for node in sorted(assigns, key=model.order):
        value = unwrapped(node.value)
        if isinstance(value, cst.Name) and any(isinstance(n, cst.Name) and n.value == value.value
                                               for t in node.targets for n in walk(t.target)):
            continue  # `x = x.to(device)`: the same data
        source = eval_data_words(value)
        read = [n.value for n in walk(value) if isinstance(n, cst.Name) and n.value in derived]
        origin = source or (derived[read[0]] if read else None)
        for target in node.targets:
            for name in walk(target.target):
                if isinstance(name, cst.Name):
                    if origin is not None:
                        derived[name.value] = origin
                    else:
                        derived.pop(name.value, None)
    for arg in call.args:
        for name in walk(arg.value):
            if isinstance(name, cst.Name) and name.value in derived:
                return derived[name.value]
    for arg in call.args:  # (or an argument that names evaluation data itself: `model(test_x)`, `model(self.x_val)`)
        value = unwrapped(arg.value)
        if isinstance(value, (cst.Name, cst.Attribute)) and not _assigned_in(model, value, loop):
            named = eval_data_words(value.attr if isinstance(value, cst.Attribute) else value)
            if named is not None:
                return named
    return None


def _assigned_in(model: "FileModel", value: cst.BaseExpression, loop: cst.CSTNode) -> bool:
    """Whether the name ``value`` reads is assigned in ``loop`` (then its origin, not its name, says what it holds)."""
    name = value.value if isinstance(value, cst.Name) else None
    return name is not None and any(_assigns(node, name) for node in model.nodes_of(loop, cst.Assign, cst.AugAssign))


def reaches_backward_in_order(model: "FileModel", call: cst.Call, loop: cst.CSTNode) -> bool:
    """Whether ``call``'s value may reach a ``.backward()`` of ``loop``, taking the order of assignments
    into account: ``loss = crit(model(x_test), y)`` after the step does not reach the step's
    ``loss.backward()``, which reads the ``loss`` assigned before it."""
    parent = model.parent(call)
    while isinstance(parent, (cst.Attribute, cst.Call, cst.Arg, cst.Subscript, cst.SubscriptElement, cst.Index,
                              cst.BinaryOperation, cst.UnaryOperation)):
        parent = model.parent(parent)
    if not isinstance(parent, cst.Assign):
        return True
    assigns = sorted(model.nodes_of(loop, cst.Assign, cst.AugAssign), key=model.order)
    derived = {n.value for t in parent.targets for n in walk(t.target) if isinstance(n, cst.Name)}
    start = model.order(parent)
    # (forward from the call: what its value flows into, in this pass of the loop)
    derived |= set(derived_names(model.order, assigns, derived, start, float("inf"), names_read_by))
    for node in model.nodes_of(loop, cst.Call):
        if not (isinstance(node.func, cst.Attribute) and node.func.attr.value in BACKWARD_METHODS):
            continue
        given = [node.func.value, *(a.value for a in node.args[:1])]
        names = {n.value for g in given for n in walk(g) if isinstance(n, cst.Name)} & derived
        for name in names:
            # the value the backward reads: the last assignment of `name` before it in the loop body (else
            # the one carried from the previous pass, the last in the body)
            before = [a for a in assigns if model.order(a) < model.order(node) and _assigns(a, name)]
            last = before[-1] if before else next((a for a in reversed(assigns) if _assigns(a, name)), None)
            if last is None or model.order(last) > start and any(
                    isinstance(n, cst.Name) and n.value in derived for n in walk(last.value)):
                return True
    return False


def derived_names(order, assigns: list, names: set[str], low, high, reads) -> dict[str, cst.CSTNode]:
    """Name -> the assignment (of ``assigns``, in source order) that binds it from ``names`` or from a name so bound,
    strictly between the positions ``low`` and ``high``; ``reads(value)`` gives the names an assigned value carries on
    (any name it reads: ``names_read_by``; only through arithmetic: ``training_steps._summed_names``)."""
    derived: dict[str, cst.CSTNode] = {}
    sources = set(names)
    for node in assigns:
        if not low < order(node) < high or node.value is None or not reads(node.value) & sources:
            continue
        for target in node.targets if isinstance(node, cst.Assign) else [node]:
            for name in walk(target.target):
                if isinstance(name, cst.Name) and name.value not in names:
                    derived[name.value] = node
                    sources.add(name.value)
    return derived


def names_read_by(value: cst.CSTNode) -> set[str]:
    """Every name ``value`` reads."""
    return {n.value for n in walk(value) if isinstance(n, cst.Name)}


def _assigns(node: cst.CSTNode, name: str) -> bool:
    targets = node.targets if isinstance(node, cst.Assign) else [node]
    return any(isinstance(n, cst.Name) and n.value == name for t in targets for n in walk(t.target))
