"""A builder freezes a BatchNorm model with ``requires_grad = False`` for a trainer it never meets.

``build_model()`` freezes the backbone's parameters (``for p in net.parameters():
p.requires_grad = False``) and returns the model; ``fit(net, ...)`` calls
``net.train()`` and runs training steps. Nothing in the file links the two (the
script that does is elsewhere), but on the path the code shows, the frozen
BatchNorm layers train in training mode: their running statistics keep moving
(RULES.md, Evidence: a bug on one visible path). Reported when the file puts no
BatchNorm layer in eval on its own anywhere (no freezing helper, no part put in
eval, no ``train()`` override) and the builder has no caller here (with one,
the mode flow follows the model itself).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.modes import ModeAnalysis

_PART_EVAL = re.compile(r"\w\.\w+(?:\[[^\]]*\])?\s*\.\s*eval\s*\(|\.apply\s*\(|def\s+train\s*\(\s*self\s*,")


@dataclass
class BuilderFreeze:
    freeze: cst.CSTNode  # the requires_grad freeze in the builder
    key: str
    builder: cst.FunctionDef
    trainer: cst.FunctionDef
    train: cst.Call  # the trainer's `.train()`
    step: cst.Call  # its training step


def builder_freezes(analysis: "ModeAnalysis") -> list[BuilderFreeze]:
    """The freezes of BatchNorm models that a builder of this file returns, with a trainer of this file
    (not linked to it here) that trains a model in training mode."""
    from bn_lint.semantic.freezing.reset_by_train import FreezeResets
    from bn_lint.semantic.nn_modules.bearing import ModelKind

    model = analysis.model
    if not analysis.freezes or analysis.evaluation.is_test_file() or _PART_EVAL.search(model.source):
        return []
    trainers = [t for t in (_trainer(analysis, f) for f in model.functions.values()) if t is not None]
    if not trainers:
        return []
    resets = FreezeResets(model)
    if any(resets.freezes(f) for f in model.scopes if isinstance(f, cst.FunctionDef)):
        return []  # (the file freezes BatchNorm layers in eval somewhere: the flow decides where it holds)
    found = []
    for node, site in analysis.freezes.items():
        builder = analysis.enclosing_function(node)
        if builder is None or model.functions.get(builder.name.value) is not builder:
            continue
        root = site.key.split(".")[0]
        if not _returns(builder, root) or _called(analysis, builder.name.value):
            continue
        if analysis.kinds.kind(site.key, site.facts, site.scope) is not ModelKind.BN:
            continue
        others = [t for t in trainers if t[0] is not builder]
        if others:
            trainer, train, step = others[0]
            found.append(BuilderFreeze(node, site.key, builder, trainer, train, step))
    return found


def _trainer(analysis: "ModeAnalysis", func: cst.FunctionDef):
    """(func, its ``param.train()``, the training step after it) for a function of this file with no caller
    here that puts a parameter in training mode and then trains; None otherwise."""
    model = analysis.model
    if not analysis.steps.trains(func) or _called(analysis, func.name.value):
        return None
    params = {p.name.value for p in func.params.params}
    steps = analysis.steps.training_calls(func)
    for call in model.nodes_of(func, cst.Call):
        f = call.func
        if isinstance(f, cst.Attribute) and f.attr.value == "train" and not call.args \
                and isinstance(f.value, cst.Name) and f.value.value in params:
            later = [s for s in steps if analysis.order(s) > analysis.order(call)]
            if later:
                return func, call, later[0]
    return None


def _returns(func: cst.FunctionDef, name: str) -> bool:
    for node in walk(func.body):
        if isinstance(node, cst.Return) and node.value is not None:
            values = node.value.elements if isinstance(node.value, cst.Tuple) else [node.value]
            for value in values:
                value = value.value if isinstance(value, cst.Element) else value
                if isinstance(value, cst.Name) and value.value == name:
                    return True
    return False


def _called(analysis: "ModeAnalysis", name: str) -> bool:
    return any(isinstance(site.node.func, cst.Name) and site.node.func.value == name
               or isinstance(site.node.func, cst.Attribute) and site.node.func.attr.value == name
               for site in analysis.model.calls) \
        or re.search(r"\b" + re.escape(name) + r"\b(?!\s*\()", _without_def(analysis, name)) is not None


def _without_def(analysis: "ModeAnalysis", name: str) -> str:
    """The file's text without ``def name(`` (a function passed around by name counts as called)."""
    return re.sub(r"def\s+" + re.escape(name) + r"\s*\(", "", analysis.model.source)
