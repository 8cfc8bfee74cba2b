"""Modules frozen or put in eval on their own, back in training mode at a later training step (RULES.md, BN105).

Reads the mode flow's watched modules (:attr:`.modes.ModeAnalysis.watched`): a module
whose parameters are frozen (``requires_grad_(False)``) but whose BatchNorm layers are
in training mode at a later training step; a frozen module a helper also put in eval,
and a module put in eval on its own to freeze its BatchNorm, each undone by a later
``.train()`` (in this file or in a training helper of another). Left out: a BNNeck's
fixed bias, momentum copies of a trained module (MoCo, BYOL), models without BatchNorm,
classes that override ``train()``, and an eval toggled around an evaluation.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.freezing.guards import on_the_freeze_path, refrozen_by_forward
from bn_lint.semantic.modes import ENTRY, EVAL, TRAIN, key_of
from bn_lint.semantic.modes.entry import resolved_in
from bn_lint.semantic.modes.optimizers import builds_optimizer, given_parts
from bn_lint.semantic.modes.keys import key_parent, key_root
from bn_lint.semantic.nn_modules.bearing import ModelKind, train_sets_modes

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.modes import ModeAnalysis


@dataclass(frozen=True)
class FrozenInTraining:
    """Frozen parameters (at ``node``) of ``key``, whose BatchNorm layers are in training mode at the
    training step on line ``step`` (``why``: where they were put in it). A freeze in another file (``model``)
    is frozen by the call ``through`` of this one."""

    node: cst.CSTNode
    key: str
    step: int
    why: str
    model: "FileModel | None" = None
    through: cst.CSTNode | None = None


@dataclass(frozen=True)
class FreezeEvalUndone:
    """The ``.train()`` at ``node`` undoing a helper's freeze of ``key`` that also put it in eval (at
    ``evaluated``), before the training step on line ``step``."""

    node: cst.CSTNode
    key: str
    evaluated: cst.CSTNode
    step: int


@dataclass(frozen=True)
class EvalUndone:
    """The ``.train()`` at ``node`` (in ``model``, None for this file) undoing ``key``'s eval at ``evaluated``
    (a BatchNorm freeze) before the training step on line ``step``; ``through``: the call of the training
    helper that holds it, when it is not in this file's code at that point."""

    node: cst.CSTNode
    key: str
    evaluated: cst.CSTNode
    step: int
    through: cst.Call | None
    model: "FileModel | None"


def _frozen_by_mode_keeping_class(node: cst.CSTNode, holder: "FileModel") -> bool:
    """Whether the freeze at ``node`` (of ``holder``'s file) was made by a method of a class that overrides
    ``train()`` to set its modes itself (``FrozenBNTrunk.__init__`` freezing its BatchNorm, whose ``train()`` puts
    them back in eval)."""
    for ancestor in holder.ancestors(node):
        if isinstance(ancestor, cst.ClassDef):
            info = holder.classes.get(ancestor.name.value)
            train = info.methods.get("train") if info is not None and info.node is ancestor else None
            return train is not None and train_sets_modes(train)
    return False


def frozen_in_training(model: "FileModel", analysis: "ModeAnalysis") \
        -> Iterator[FrozenInTraining | FreezeEvalUndone | EvalUndone]:
    """Each watched module of this file in training mode at a later training step, in the analysis's order."""
    evaled = {(id(w.scope), w.key) for w in analysis.watched.values() if w.reason == "eval"}
    for node, watch in list(analysis.watched.items()):
        modes = {f.mode for f in watch.facts}
        if ENTRY in modes and watch.reason == "frozen":  # (a parameter frozen here: in the mode its callers give it)
            watch = replace(watch, facts=resolved_in(analysis, watch.scope.node, watch.key, watch.facts))
            modes = {f.mode for f in watch.facts}
        if watch.reason == "frozen" and TRAIN in modes:  # (the facts that may hold on the freeze's own path)
            watch = replace(watch, facts=on_the_freeze_path(model, watch.facts, *(watch.origin or (node, model)), node))
            modes = {f.mode for f in watch.facts}
        if TRAIN not in modes:
            continue
        if modes - {TRAIN, EVAL} and (watch.reason == "frozen" or _refrozen(model, analysis, node, watch)):
            continue  # (an eval-freeze before a loop leaves the mode unknown on the first pass: allowed)
        if analysis.order(watch.train_site) < analysis.order(node):
            continue
        if analysis.kinds.has_train_override(watch.key, watch.scope) or _frozen_by_mode_keeping_class(*(watch.origin or (node, model))) \
                or refrozen_by_forward((watch.origin or (node, model))[1], (watch.origin or (node, model))[0], watch.key):
            continue  # (its class keeps the modes: a `train()` override, or a `forward` that freezes the part again)
        step = analysis.line(watch.train_site)
        trains = sorted(
            (analysis.line(f.node), f.where) for f in watch.facts if f.mode == TRAIN and f.node is not None
        )
        if watch.reason == "frozen":
            if watch.key.endswith(".bias"):
                continue  # a BNNeck's fixed shift (`bnneck.bias.requires_grad_(False)`): the layer still learns
            if _momentum_updated(model, watch.key):
                continue  # a MoCo key encoder, a BYOL target: an average of the trained weights, by design
            kind = analysis.kinds.kind(watch.key, watch.facts, watch.scope)
            if kind is None and watch.key.endswith("]"):  # (an indexed part, `model[1]`: as the model holding it)
                kind = analysis.kinds.kind(key_parent(watch.key) or watch.key, watch.facts, watch.scope)
            if "." in watch.key and analysis.kinds.kind(watch.key, frozenset(), watch.scope) is ModelKind.NO:
                continue  # (a part the model's class builds without BatchNorm, `self.conv1 = nn.Conv2d(...)`: its
                # facts are the whole model's)
            put_in_eval = any(f.mode == EVAL and f.why != "helper" for f in watch.facts)
            if kind not in (ModelKind.BN, ModelKind.MAYBE) or put_in_eval or (id(watch.scope), watch.key) in evaled:
                continue  # (a frozen module put in eval and then reset is reported at the reset; an eval
                # left by a validation helper on later epochs does not change the first epoch's training)
            frozen_at, holder = watch.origin if watch.origin is not None else (node, model)
            if not _optimised_parts_without_bn(analysis, holder, frozen_at, watch):
                continue  # (an optimizer given a part that holds BatchNorm: what it leaves out may hold none)
            freeze_eval = _eval_beside_freeze(holder, frozen_at, watch.scope.node)
            if freeze_eval is not None:  # `def freeze(m): m.eval(); m.requires_grad_(False)`: undone by `.train()`
                for fact in watch.facts:
                    if fact.mode == TRAIN and fact.why == "train()" and fact.node is not None:
                        yield FreezeEvalUndone(fact.node, watch.key, freeze_eval, step)
                continue
            why = "; ".join(where.format(line=line) for line, where in trains)
            if watch.origin is None:
                yield FrozenInTraining(node, watch.key, step, why)
            else:  # (a freeze of another file, made at the call `node`: reported where it freezes)
                yield FrozenInTraining(frozen_at, watch.key, step, why, None if holder is model else holder, node)
        else:
            if any(f.mode == TRAIN and f.node is watch.train_site and _trains_key(model, f.node, watch.key)
                   for f in watch.facts):
                continue  # (co-training: `step(self.model1, fixed=self.model2)` then `step(self.model2, ...)`: the
                # module put in eval is the one the next step trains, whole: no freeze)
            undo = [f for f in watch.facts if f.mode == TRAIN and f.why in ("train()", "helper") and f.node is not None
                    and (analysis.order(f.node) > analysis.order(node) or _loop_carried(analysis, f.node, node))
                    and not _toggled(node, f.node, watch.key)]
            if not undo or not isinstance(node, cst.Call):
                continue
            sites: set[int] = set()
            for fact in sorted(undo, key=lambda f: analysis.order(f.node)):
                site, where = fact.node, None
                if fact.why == "helper":  # `train_one_epoch(model, ...)`, which starts with `model.train()`
                    found = _train_call_in(analysis, fact.node)
                    if found is None:
                        continue
                    site, where = found
                if id(site) in sites:
                    continue  # (a helper called twice: one finding at its `.train()`)
                sites.add(id(site))
                yield EvalUndone(site, watch.key, node, step, fact.node if site is not fact.node else None, where)


def _loop_carried(analysis: "ModeAnalysis", reset: cst.CSTNode, evaluated: cst.CSTNode) -> bool:
    """Whether the ``.train()`` at ``reset``, before the eval at ``evaluated``, runs again after it in a loop around
    both (at the top of every epoch, the freeze made once inside it): the next iteration undoes the freeze."""
    model = analysis.model
    nested = once = False  # (a freeze in a training loop inside the reset's, or under a one-time test `step == n`)
    for around in model.ancestors(evaluated):
        if isinstance(around, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return False
        if isinstance(around, cst.If) and _from_then_on(around.test):
            return False  # (`if step >= freeze_step:` freezes again on every later iteration)
        once = once or isinstance(around, cst.If) and isinstance(around.test, cst.Comparison) and any(
            isinstance(c.operator, cst.Equal) for c in around.test.comparisons)
        if isinstance(around, (cst.For, cst.While)) and around in model.ancestors(reset):
            # (an eval right after the reset in the same body, `if frozen: m.eval()`, is the freeze kept)
            return (nested or once) and not _frozen_again(analysis, around, reset, evaluated)
        nested = nested or isinstance(around, (cst.For, cst.While)) and analysis.steps.trains(around)  # (a batch loop)
    return False


def _frozen_again(analysis: "ModeAnalysis", loop: cst.CSTNode, reset: cst.CSTNode, evaluated: cst.CSTNode) -> bool:
    """Whether the loop puts the frozen module in eval again after its ``.train()`` (``vae.train(); if frozen:
    vae._decoder.eval()``): the code keeps the freeze across the reset, on the paths it froze."""
    if not (isinstance(evaluated, cst.Call) and isinstance(evaluated.func, cst.Attribute)):
        return False
    receiver, model = analysis.model.code(evaluated.func.value), analysis.model
    return any(call is not evaluated and isinstance(call.func, cst.Attribute) and call.func.attr.value == "eval"
               and model.code(call.func.value) == receiver
               and analysis.order(reset) < analysis.order(call) < analysis.order(evaluated)
               for call in model.nodes_of(loop, cst.Call))


def _from_then_on(test: cst.BaseExpression) -> bool:
    """Whether ``test`` is a range test (``step >= n``, ``epoch > k``): true on every later iteration once true."""
    return isinstance(test, cst.Comparison) and any(
        isinstance(c.operator, (cst.GreaterThan, cst.GreaterThanEqual, cst.LessThan, cst.LessThanEqual))
        for c in test.comparisons)


def _optimised_parts_without_bn(analysis: "ModeAnalysis", holder: "FileModel", frozen_at: cst.CSTNode, watch) -> bool:
    """For a freeze by an optimizer given only some parts (``Adam(model.fc.parameters())``): whether every part
    it is given is known to hold no BatchNorm, so the BatchNorm layers of ``watch.key`` are what it leaves out.
    True for any other freeze."""
    if not builds_optimizer(holder, frozen_at):
        return True
    parts = given_parts(holder, frozen_at)
    if (frozen_at, watch.key) in analysis.left_out:
        return True  # (a whole model of this function the optimizer is not given: `modes.optimizers.left_out_models`)
    return bool(parts) and all(
        analysis.kinds.kind(watch.key + part[len(key_root(part)):], frozenset(), watch.scope) is ModelKind.NO
        for part in parts)


def _trains_key(model: "FileModel", node: cst.CSTNode, key: str) -> bool:
    """Whether the training step at ``node`` runs the module ``key`` itself: ``self.model2(x)``, or a helper
    given it whole (``self.train_step(batch, self.model2, self.model1, opt2)``), not a model holding it."""
    if not isinstance(node, cst.Call):
        return False
    return key_of(node.func) == key or any(key_of(arg.value) == key for arg in node.args)


def _eval_beside_freeze(model: "FileModel", freeze: cst.CSTNode, caller: cst.CSTNode) -> cst.Call | None:
    """The ``param.eval()`` in the helper function (not ``caller``) that freezes a parameter's weights at
    ``freeze``: a freeze of the whole module, BatchNorm statistics included."""
    helper = next((a for a in model.ancestors(freeze) if isinstance(a, cst.FunctionDef)), None)
    if helper is None or helper is caller:
        return None
    params = {p.name.value for p in [*helper.params.posonly_params, *helper.params.params]}
    for call in model.nodes_of(helper, cst.Call):
        func = call.func
        if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in params
                and (func.attr.value == "eval" and not call.args
                     or func.attr.value == "train" and len(call.args) == 1 and model.value(call.args[0].value, None) is False)):
            return call
    return None


def _momentum_updated(model: "FileModel", key: str) -> bool:
    """Whether the file writes the frozen module's weights in place from another's, in a loop over
    ``zip(...)`` of its ``parameters()`` (``pk.data.mul_(m).add_(pq.data, alpha=1 - m)``): a momentum or
    EMA copy of a trained module, which the published recipes (MoCo, BYOL) run in training mode."""
    attr = key.rpartition(".")[2]
    for loop in model.nodes_of(model.module, cst.For):
        iterated = loop.iter
        if not (isinstance(iterated, cst.Call) and isinstance(iterated.func, cst.Name) and iterated.func.value == "zip"):
            continue
        if not any(isinstance(arg.value, cst.Call) and isinstance(arg.value.func, cst.Attribute)
                   and arg.value.func.attr.value == "parameters" and model.code(arg.value.func.value).rpartition(".")[2] == attr
                   for arg in iterated.args):
            continue
        if any(isinstance(call.func, cst.Attribute) and call.func.attr.value in ("mul_", "add_", "copy_", "lerp_", "set_")
               for call in model.nodes_of(loop.body, cst.Call)) or any(
                isinstance(target.target, cst.Attribute) and target.target.attr.value == "data"
                for assign in model.nodes_of(loop.body, cst.Assign) for target in assign.targets):
            return True
    return False


def _train_call_in(analysis, call: cst.CSTNode) -> tuple[cst.Call, "FileModel | None"] | None:
    """The one ``param.train()`` in the helper ``call`` runs (of this file or another), and the file that
    holds it (None for this one)."""
    target = analysis.callees.callee(call) if isinstance(call, cst.Call) else None
    if target is None:
        return None
    helper_analysis, function = target
    other = helper_analysis.model
    params = {p.name.value for p in [*function.params.posonly_params, *function.params.params]}
    found = [c for c in other.nodes_of(function, cst.Call)
             if isinstance(c.func, cst.Attribute) and c.func.attr.value == "train" and isinstance(c.func.value, cst.Name)
             and c.func.value.value in params and (not c.args or other.value(c.args[0].value, None) is True)]
    if len(found) != 1:
        return None
    return found[0], (other if other is not analysis.model else None)


def _toggled(evaluated: cst.CSTNode, trained: cst.CSTNode, key: str) -> bool:
    """``self.online.eval()`` ... ``self.online.train()``: the whole module put in eval (for an evaluation) and
    back in training mode, not BatchNorm layers frozen inside it, nor a part of it undone by its parent."""
    return (isinstance(evaluated, cst.Call) and isinstance(evaluated.func, cst.Attribute)
            and evaluated.func.attr.value in ("eval", "train")  # (not `model.apply(set_bn_eval)`: BatchNorm only)
            and all(isinstance(call.func, cst.Attribute) and key_of(call.func.value) == key
                    for call in (evaluated, trained) if isinstance(call, cst.Call)))


def _refrozen(model: "FileModel", analysis, node: cst.CSTNode, watch) -> bool:
    """Whether the module's BatchNorm is put in eval again inside a loop around a `.train()` that reaches
    the training step (`model.train(); freeze_bn(model)` each epoch), by a freeze other than ``node``."""
    loops = {id(ancestor) for f in watch.facts if f.mode == TRAIN and f.node is not None
             for ancestor in model.ancestors(f.node) if isinstance(ancestor, (cst.For, cst.While))}
    return any(other is not node and w.reason == "eval" and w.key == watch.key
               and any(id(ancestor) in loops for ancestor in model.ancestors(other))
               for other, w in analysis.watched.items())
