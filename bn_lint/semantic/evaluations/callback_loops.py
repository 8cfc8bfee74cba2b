"""An evaluation callback left in eval inside another function's training loop (RULES.md, BN103).

``train(model, loader, opt, on_epoch_end=lambda e: validate(model, val_loader, e))``: ``train`` (of any
file) calls ``on_epoch_end`` inside its training loop, and ``validate`` (of this file) puts ``model`` in
eval and never back; nothing in ``train``'s loop calls ``.train()`` on it, so the next epoch trains in eval
mode. Reported at the ``.eval()`` of this file (where the fix goes). Read from the callbacks the mode flow
records (``modes.given_callables``); left out: a loop that puts the model back in training mode itself, a
callback run only on the last iteration, models without BatchNorm.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.modes import EVAL
from bn_lint.semantic.modes.keys import key_of, key_root, receiver_key
from bn_lint.semantic.modes.state import TRAIN
from bn_lint.semantic.nn_modules.bearing import ModelKind

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.modes import ModeAnalysis

_LOOPS = frozenset({"For", "While"})  # (by name: libcst is not loaded at import)


@dataclass(frozen=True)
class CallbackEval:
    """``key`` put in eval at ``node`` (``how``) by a callback that ``where`` runs in its training loop."""

    node: cst.CSTNode
    key: str
    how: str
    where: str


def callback_evals(model: "FileModel", analysis: "ModeAnalysis", last_only) -> Iterator[CallbackEval]:
    """Each ``.eval()`` of this file that a callback leaves a model in, inside another function's training
    loop that trains that model and never puts it back (``last_only(model, node, loop)``: a call on the last
    iteration only)."""
    for run in list(analysis.callback_runs):
        callee, function = run.callee
        if callee is analysis:
            continue  # (a loop of this file: its own flow runs the callback, ``modes.callbacks``)
        for param, arg in run.bound:
            key = key_of(arg)
            evals = [f for f in run.summary.effects.get(param, ()) if f.mode == EVAL and f.node is not None
                     and model.order(f.node) >= 0] if key is not None else []
            if not evals:
                continue
            given = [p for p, value in run.given if key_of(value) == key]
            found = _loop_left_in_eval(callee, function, run.calls, given, last_only)
            if found is None or key not in run.modes:
                continue
            if analysis.kinds.kind(key, run.modes[key], model.scope_of(run.call)) not in (ModelKind.BN, ModelKind.MAYBE):
                continue
            loop, step = found
            name = os.path.basename(callee.model.path)
            where = (f"by `{run.target.name.value}()`, which `{function.name.value}()` ({name}) runs as "
                     f"`{run.name}` inside its training loop at line {callee.line(loop)} of {name}; nothing calls "
                     f"`.train()` before that loop's next training step at line {callee.line(step)}")
            for fact in evals:
                yield CallbackEval(fact.node, key, fact.where.format(line=analysis.line(fact.node)), where)


def _loop_left_in_eval(callee: "ModeAnalysis", function: cst.FunctionDef, calls, given: list[str], last_only):
    """(loop, training step) of ``function``'s training loop around one of ``calls`` that trains one of
    ``given`` (its parameters) and never puts it back in training mode; None if there is none."""
    model = callee.model
    for call in calls:
        loop = next((a for a in model.ancestors(call) if type(a).__name__ in _LOOPS and callee.steps.trains(a)), None)
        if loop is None or callee.enclosing_function(call) is not function or last_only(model, call, loop):
            continue
        steps = [site.node for site in list(callee.train_uses.values())
                 if key_root(site.key) in given and loop in model.ancestors(site.node)]
        if steps and not _resets(callee, loop, given):
            return loop, steps[0]
    return None


def _resets(callee: "ModeAnalysis", loop: cst.CSTNode, given: list[str]) -> bool:
    """Whether ``loop`` puts one of ``given`` back in training mode: ``model.train()``, or a helper of the
    file it calls that does (``train_one_epoch(model, ...)`` calling ``model.train()``)."""
    for call in callee.model.nodes_of(loop, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "train":
            receiver = receiver_key(func.value)
            if receiver is None or key_root(receiver) in given:
                return True
            continue
        if not any(key_root(key_of(a.value) or "") in given for a in call.args):
            continue
        target = callee.callees.callee(call, other_files=False)
        summary = target[0].summary(target[1]) if target is not None else None
        if summary is not None and any(f.mode == TRAIN and f.why != "trained" for facts in summary.effects.values()
                                       for f in facts):
            return True
    return False
