"""A model a plain class holds (``self.model`` of a trainer, a handler, a predictor): the modes its methods
leave it in, as the entry of one of its methods that runs only from outside the class.

A ``predict`` of a trainer, or a serving handler's ``inference``, runs after whichever of the class's methods
its caller ran: the one that builds the model (``__init__``, a base's ``__init__`` of another file, an
``initialize(ctx)``) or one that trains it. When every method that touches the model leaves it in training
mode or as it was (``self.model = de_parallel(self.model)``, a training epoch that ends in ``train()``), and
no code of the file puts it in eval, each of those is a path into the method on which the model is in
training mode (RULES.md, Evidence: a bug on one visible path is a bug). A method that leaves it in eval
mode anywhere makes the entry unknown, as before.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.project.definitions import project_class
from .state import ENTRY, EVAL, TRAIN, Fact, _lookup

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.classes import ClassInfo
    from bn_lint.semantic.file.model import FileModel
_LEFT_TRAINING = ("built", "trained", "train()", "helper")  # why a fact says training mode: built, stepped, set


def class_chain(model: "FileModel", info: "ClassInfo", depth: int = 0) -> Iterator[tuple["FileModel", "ClassInfo"]]:
    """Class ``info`` and its project bases (in this file or the project file a base is imported from), a few
    levels up, each with the model of its file."""
    yield model, info
    if depth > 3:
        return
    for base in info.bases:
        found = project_class(model, base) if isinstance(base, (cst.Name, cst.Attribute)) else None
        if found is not None and found[1] is not info:
            yield from class_chain(found[0], found[1], depth + 1)


def class_methods(model: "FileModel", info: "ClassInfo") -> Iterator[tuple["FileModel", str, cst.FunctionDef]]:
    """The methods an instance of class ``info`` has: its own, then its bases' that it does not override."""
    seen: set[str] = set()
    for owner, cls in class_chain(model, info):
        for name, method in cls.methods.items():
            if name not in seen:
                seen.add(name)
                yield owner, name, method


def held_by_class(analysis: "ModeAnalysis", func: cst.FunctionDef, attr: str) -> dict | None:
    """``{"self.attr": facts}`` for a method of a plain class that runs only from outside it (no
    ``self.method()`` call of the class runs it): the training modes the class's other methods leave
    ``self.attr`` in (``left_in_training``); None otherwise."""
    cache = analysis.__dict__.setdefault("_class_held", {})
    if (func, attr) not in cache:
        info = _plain_class(analysis, func)
        cache[(func, attr)] = None if info is None or any(
            caller is not None for _, caller in analysis.method_calls.get(func, ())) \
            else left_in_training(analysis, info, func, attr)
    return cache[(func, attr)]


def entered_from_outside(analysis: "ModeAnalysis", func: cst.FunctionDef, key: str, passed: list) -> list | None:
    """The callers' states of method ``func`` (all calls from outside its class: ``handler.inference(x)``),
    with ``self.attr`` at ``key`` as the class's methods leave it where a caller does not show its mode
    (``if not handler.initialized: handler.initialize()``: built on one path, as before on the other)."""
    if not all(caller is None for _, _, caller in passed) \
            or not any(f.mode == ENTRY for _, state, _ in passed for f in _lookup(state, key)):
        return None
    held = held_by_class(analysis, func, key.split(".")[1])
    if held is None:
        return None
    return [("self", {key: frozenset(f for f in _lookup(state, key) if f.mode != ENTRY) | held[key]}, None)
            for _, state, _ in passed]


def _plain_class(analysis: "ModeAnalysis", func: cst.FunctionDef) -> "ClassInfo | None":
    """``func``'s class when it is a plain class, not a model (whose parts follow its own mode) nor a
    framework's class (which sets the modes itself)."""
    model = analysis.model
    scope = model.scopes.get(func)
    info = model.enclosing_class(scope.parent) if scope is not None and scope.parent is not None else None
    if info is None or info.methods.get(func.name.value) is not func \
            or model.is_nn_module_class(info) or analysis._framework_class(info) or "forward" in info.methods \
            or any(word in model.code(base) for base in info.bases for word in ("Module", "Model", "Net")):
        return None
    return info


def left_in_training(analysis: "ModeAnalysis", info: "ClassInfo", func: cst.FunctionDef, attr: str) -> dict | None:
    """``{"self.attr": facts}``: the training-mode facts that the other methods of ``func``'s class (own and
    inherited) leave ``self.attr`` in, when none leaves it (or a part of it) in eval mode and no code of this
    file calls ``.eval()`` / ``.train(False)`` on an ``.attr`` of anything; None otherwise."""
    model = analysis.model
    key = f"self.{attr}"
    if not any(attr in cls.attributes for _, cls in class_chain(model, info)):
        return None  # (not a part the class keeps: `self.assertEqual`, a method)
    for site in model.calls:
        call = site.node
        if isinstance(call.func, cst.Attribute) and model.code(call.func.value).endswith(f".{attr}") \
                and (call.func.attr.value == "eval" or call.func.attr.value == "train" and call.args):
            return None  # (a `trainer.model.eval()` in the file: the entry depends on the order of calls)
    facts: set = set()
    base = info.node.bases[0].value if info.node.bases else info.node.name
    for owner, name, method in class_methods(model, info):
        if method is func:
            continue
        summary = owner.analysis(type(analysis)).summary(method)
        if summary is None:
            continue
        for effect, found in summary.effects.items():
            if effect != key and not effect.startswith(key + "."):
                continue
            if any(f.mode == EVAL for f in found):
                return None
            if effect != key:
                continue
            for fact in found:
                if fact.mode != TRAIN or fact.why not in _LEFT_TRAINING:
                    continue
                if owner is model:
                    facts.add(fact)
                else:  # (a base class's method in its own file: named at the base here)
                    where = f"`{model.code(base)}.{name}()` (the base class at line {{line}}, in " \
                            f"{os.path.basename(owner.path)}) " + ("builds it (modules start in training mode)"
                                                                   if fact.why == "built" or "builds it" in fact.where
                                                                   else "leaves it in training mode")
                    facts.add(Fact(TRAIN, base, "helper", where, fact.kind))
    if not any(f.why in ("built", "train()") or f.why == "helper" and "builds it" in f.where for f in facts):
        return None  # (only run in a training step: a loss or metric function kept on `self`, not shown a module)
    return {key: frozenset(facts)}
