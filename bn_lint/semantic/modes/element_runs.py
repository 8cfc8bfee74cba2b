"""Runs of the models a collection holds: the collection a loop variable runs through at a call
(``for net in self.nets: net(x)``), and runs of what a plain list or dict of a module class holds, which no
``.eval()`` of the module (or of a framework) reaches (``nn_modules/unregistered``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.nn_modules.unregistered import unregistered_attribute
from .framework_hooks import known_mode_outside_steps
from .keys import key_of
from .loops import _enumerated

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel


def element_collection(model: "FileModel", node: cst.CSTNode, func: cst.FunctionDef, name: str) -> str | None:
    """The key of the collection the innermost loop of ``func`` around ``node`` binding ``name`` runs through
    (``for net in self.nets:``, ``for i, net in enumerate(solver.nets):``, ``for net in nets:``), when it is a name or an
    attribute chain; else None."""
    for ancestor in model.ancestors(node):
        if ancestor is func:
            return None
        if isinstance(ancestor, cst.For):
            iterable, target = _enumerated(ancestor.iter, ancestor.target)
            if isinstance(target, cst.Name) and target.value == name:
                return key_of(iterable) if isinstance(iterable, (cst.Attribute, cst.Name)) else None
    return None


def unregistered_run(model: "FileModel", node: cst.CSTNode, func: cst.FunctionDef, key: str) -> str | None:
    """The attribute of ``func``'s class holding a plain list or dict (no registered part of the module) whose
    entries the run of ``key`` at ``node`` runs: ``self.members[0](x)``, ``for m in self.members: m(x)``,
    ``for cfg in self.members: cfg["model"](x)``; None otherwise."""
    root = key.split(".")[0].split("[")[0]
    if root != "self":
        collection = element_collection(model, node, func, root)
        key = collection + "[*]" if collection is not None else ""
    attribute, _, rest = key.removeprefix("self.").partition("[")
    if not key.startswith("self.") or not rest or "." in attribute:
        return None  # (`self.model(x)`, `self.nets.a(x)`: a part, or a part's part)
    info = model.class_of_method(func)
    return attribute if info is not None and unregistered_attribute(model, info, attribute) else None


def framework_missed_run(model: "FileModel", node: cst.CSTNode, func: cst.FunctionDef | None) -> bool:
    """A run of a model a plain list or dict of a framework module holds (``unregistered_run``), in a hook whose
    mode is known and is no training step, or in a plain method only such hooks reach: the framework's mode does not
    reach that model."""
    key = key_of(node.func) if func is not None and isinstance(node, cst.Call) else None
    return key is not None and unregistered_run(model, node, func, key) is not None \
        and known_mode_outside_steps(model, func)
