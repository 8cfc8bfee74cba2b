"""Where a model with BatchNorm ends up evaluated in training mode (RULES.md, BN101).

Reads the mode flow (:mod:`.modes`): each call of a model in an evaluation context
(no-grad, predictions read, a function named for evaluation, the evaluation branch of
``set_grad_enabled(phase == 'train')``) where the model is in training mode on every
path the code shows, or is an evaluation function's model that nothing puts in eval
(:mod:`.owned`); and each call of another file's evaluation function given a model in
training mode. Left out: models whose mode the code does not show or that hold no
BatchNorm, classes that keep their own modes, BatchNorm re-estimation and samples drawn
with batch statistics on purpose, and a second module of unknown content in an
evaluation already reported.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.modes import TRAIN, HelperEval, describe, eval_named
from bn_lint.semantic.modes.keys import key_of, shown_key
from bn_lint.semantic.modes.path_objects import in_else_arm, optional_branch
from bn_lint.semantic.syntax.walk import walk
from bn_lint.semantic.nn_modules.bearing import ModelKind
from bn_lint.semantic.evaluations.first_iteration import first_iteration, first_pass_of_callers, later_iterations
from bn_lint.semantic.evaluations.owned import unowned_evaluation
from bn_lint.semantic.evaluations.unreached import off_every_call
from bn_lint.semantic.project.builds_batchnorm import project_builds_batchnorm
from bn_lint.semantic.knowledge.module_names import named_as_other, used_as_module
from bn_lint.semantic.modes.instrumented import hooks_before
from bn_lint.semantic.modes.trained import TRAINED, loss_named

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.modes import ModeAnalysis


@dataclass(frozen=True)
class TrainModeEvaluation:
    """A call of a model for evaluation (``reason``) while it is in training mode (``why``)."""

    node: cst.CSTNode  # the call of the model
    key: str  # the model, as the code names it
    reason: str  # what makes the call an evaluation
    why: str  # how it came to be in training mode (and the slip that leaves it there)
    unowned: bool  # an evaluation function's model that nothing puts in eval (RULES.md, Evidence)
    loop: cst.For | None  # for an unowned one: the evaluation loop around the call, if any


@dataclass(frozen=True)
class HelperEvaluation:
    """Another file's function that runs a model for evaluation, given one in training mode from here."""

    use: cst.CSTNode  # where the callee runs the model
    helpers: tuple[HelperEval, ...]  # the calls of this file that pass it
    why: str  # how the models passed came to be in training mode
    place: cst.CSTNode | None = None  # for a method of the model's holder: the loop of this file feeding it, or the call


def _same_test_as_optional_eval(model: "FileModel", node: cst.CSTNode, facts: frozenset) -> bool:
    """Whether the evaluation at ``node`` sits under a test on a name that the ``if`` of an optional ``.eval()``
    among ``facts`` tests too (``if resume: model.eval()`` ... ``if resume: evaluate(model)``: the same path)."""
    tested = {name for f in facts if f.optional and (branch := _optional_branch_of(model, f)) is not None
              for name in _names_in(branch.test)}
    return bool(tested) and any(isinstance(a, cst.If) and tested & _names_in(a.test) for a in model.ancestors(node))


def _optional_branch_of(model: "FileModel", fact) -> cst.If | None:
    """The ``if`` that makes an optional fact's ``.eval()`` (or its helper call) one the code may skip."""
    return optional_branch(model, fact.node, helper=fact.why == "helper")


def _names_in(test: cst.BaseExpression) -> set[str]:
    return {n.value for n in walk(test) if isinstance(n, cst.Name)} | {n.attr.value for n in walk(test) if isinstance(n, cst.Attribute)}


def train_mode_evaluations(model: "FileModel", analysis: "ModeAnalysis") -> Iterator[TrainModeEvaluation]:
    """Each evaluation of a BatchNorm model of this file in training mode, in source order."""
    evaluated: dict = {}  # regions; (region, key) and (function, key, facts) of a model evaluated there -> the call
    reported_slips: set[cst.CSTNode] = set()
    for node, site in sorted(analysis.uses.items(), key=lambda item: analysis.order(item[0])):
        # (a copy, in source order: resolving may run other analyses)
        reason = analysis.evaluation.eval_reason(node)
        assumed = reason is None
        if reason is None:
            # evaluation on some paths only: `phase == 'val'` under `torch.set_grad_enabled(phase == 'train')`
            site, reason = analysis.evaluation.path_eval(node) or (site, None)
        if reason is None:
            continue
        # (a path under an assumed condition is not the loop's first iteration: `for phase in ["train", "val"]`
        # starts with the phase that trains)
        # (where only the function's name or a read-out says evaluation, a caller that trains on its result runs it
        # for training; a run under `no_grad` to predictions evaluates whatever its result then feeds: pseudo-labels)
        weak = not (analysis.steps.under_no_grad(node) or analysis.output_reads.predicts(node))
        facts, first_loop = first_pass_of_callers(analysis, node, site, analysis.entry.resolved(
            site, assumed=analysis.path_assumed.get(node), evaluating=weak), analysis.path_assumed.get(node), weak) \
            if assumed else first_iteration(analysis, node, site, analysis.entry.resolved(
                site, assumed=analysis.use_assumed.get(node) or None, evaluating=weak), weak)
        later_loop = None
        if first_loop is None and not assumed:
            facts, later_loop = later_iterations(analysis, node, facts)
        unowned = None if analysis.kinds.shown_train(facts) else unowned_evaluation(analysis, site, node, facts)
        if not analysis.kinds.shown_train(facts) and unowned is None or _same_test_as_optional_eval(model, node, facts):
            continue
        kind = analysis.kinds.kind(site.key, facts, site.scope)
        if kind not in (ModelKind.BN, ModelKind.MAYBE):
            continue
        if kind is ModelKind.MAYBE and (loss_named(site.key) or named_as_other(site.key)) and not used_as_module(
                site.key, model.code(analysis.enclosing_function(node) or model.module)):
            continue  # (`loss_func = build_loss(cfg)`, `self.post_process`: of unknown class, named for no network)
        if unowned is not None and kind is ModelKind.MAYBE and not project_builds_batchnorm(model):
            continue
        if analysis.kinds.keeps_own_modes(facts):
            continue
        if _recalibration(model, analysis, node, facts) or _samples_on_purpose(model, analysis, node, facts) \
                or off_every_call(analysis, node):
            continue
        why = unowned or describe(analysis, facts)
        if first_loop is not None:
            why += f" (on the first iteration of the loop at line {analysis.line(first_loop)})"
        if later_loop is not None:
            why += f" (on the later iterations of the loop at line {analysis.line(later_loop)})"
        for fact in sorted((f for f in facts if f.optional), key=lambda f: analysis.order(f.node))[:1]:
            branch = _optional_branch_of(model, fact)
            when = f"`{model.code(branch.test)}` is false" if in_else_arm(branch, fact.node, model) \
                else f"`{model.code(branch.test)}`"
            what = "the `.eval()`" if fact.why == "eval()" else f"`{model.code(fact.node.func)}()`, which leaves it in eval,"
            why += f"; {what} at line {analysis.line(fact.node)} runs only when {when}"
        slip = analysis.after_slip(site)
        if slip is not None:  # one finding for the evaluation a slip spoils, the first after it
            if slip in reported_slips or all(f.why == TRAINED for f in facts if f.mode == TRAIN):
                continue  # (a mode known only from a training step: BN102's finding at the slip is the one)
            reported_slips.add(slip)
            why += f"; `{model.code(slip)}` at line {analysis.line(slip)} does not change the mode"
        region = analysis.region(node)
        if region in evaluated and kind is ModelKind.MAYBE:
            continue  # (one more module of unknown content in the same evaluation: the finding is made)
        again = (analysis.enclosing_function(node) or region, site.key, facts)
        if (region, site.key) in evaluated or (again in evaluated and not _trained_between(analysis, site.key, evaluated[again], node)
                                               and not _own_fix(analysis, site.key, evaluated[again], node)):
            continue  # (the same model run again in the same evaluation, in the same mode: one `.eval()` fixes both)
        through = _helper_run(analysis, node, site.key)
        if through is not None and (through, site.key, facts) in evaluated:
            continue  # (the same helper run again for the same model in the same mode: its run is one defect)
        whole = _module_holding(analysis, node, site.key)
        if whole is not None and (region, whole, facts) in evaluated:
            continue  # (another part of the module `self` in the same mode: one `self.eval()` fixes both)
        if whole is not None:
            evaluated[(region, whole, facts)] = node
        evaluated.update({region: node, (region, site.key): node, again: node})
        if through is not None:
            evaluated[(through, site.key, facts)] = node
        loop = _evaluation_loop(model, node) if unowned is not None else None
        yield TrainModeEvaluation(node, shown_key(model, site.key, node), reason, why, unowned is not None, loop)


def _module_holding(analysis: "ModeAnalysis", node: cst.CSTNode, key: str) -> str | None:
    """``self`` for a part of it (``self.action_net``) run in a method of a module class: the module whose
    ``.eval()`` puts every part in eval; None otherwise."""
    if not key.startswith("self."):
        return None
    info = analysis.model.enclosing_class(analysis.model.scope_of(node))
    return "self" if info is not None and analysis.model.is_nn_module_class(info) else None


def _helper_run(analysis: "ModeAnalysis", node: cst.CSTNode, key: str) -> cst.FunctionDef | None:
    """The helper of this file a call runs ``key`` through (``self.calculate_features(x)`` running
    ``self.inception``), not the model called itself."""
    if not isinstance(node, cst.Call) or key_of(node.func) == key:
        return None
    target = analysis.callees.callee(node, other_files=False)
    return target[1] if target is not None else None


def _own_fix(analysis: "ModeAnalysis", key: str, first: cst.CSTNode, then: cst.CSTNode) -> bool:
    """Whether the evaluation at ``then`` needs an ``.eval()`` of its own after the one at ``first``: ``first`` sits in
    an arm of an ``if`` (or a ``try``) that does not hold ``then`` (a path reaches ``then`` without passing ``first``:
    ``if not trained: train and validate`` then ``test``), or in a loop without ``then`` that trains ``key`` (the
    validation's fix must be undone for the next epoch's training, so the test after the loop is left in training
    mode)."""
    model = analysis.model
    held = set(map(id, model.ancestors(then)))
    for ancestor in model.ancestors(first):
        if id(ancestor) in held:
            return False
        if isinstance(ancestor, (cst.If, cst.Else, cst.Try, cst.ExceptHandler)) and not isinstance(
                model.parent(ancestor), (cst.If, cst.Try)):
            return True
        if isinstance(ancestor, (cst.For, cst.While)) and any(
                site.key == key and ancestor in model.ancestors(node) for node, site in list(analysis.train_uses.items())):
            return True
    return False


def _trained_between(analysis: "ModeAnalysis", key: str, first: cst.CSTNode, then: cst.CSTNode) -> bool:
    """Whether ``key`` runs a training step between two evaluations of it in one function (two phases of a
    script, each trained and evaluated: two findings, each fixed by its own ``.eval()``)."""
    start, end = analysis.order(first), analysis.order(then)
    func = analysis.enclosing_function(then)
    return any(site.key == key and start < analysis.order(node) < end and analysis.enclosing_function(node) is func
               for node, site in list(analysis.train_uses.items()))


def helper_evaluations(analysis: "ModeAnalysis") -> Iterator[HelperEvaluation]:
    """Each use of a model in another file's evaluation function that this file's calls give a BatchNorm
    model in training mode, not under a framework that sets the mode itself."""
    callers: dict[cst.CSTNode, list[tuple[HelperEval, frozenset]]] = {}
    later: dict[cst.CSTNode, cst.CSTNode] = {}  # use -> the loop whose later iterations bring training mode
    for helper in list(analysis.helper_evals.values()):
        site = helper.site
        facts, loop = later_iterations(analysis, site.node, analysis.entry.resolved(site))
        if not analysis.kinds.shown_train(facts) or analysis.evaluation.framework_managed(site.node):
            continue
        if analysis.kinds.kind(site.key, facts, site.scope) not in (ModelKind.BN, ModelKind.MAYBE):
            continue
        callers.setdefault(helper.use, []).append((helper, facts))
        if loop is not None:
            later[helper.use] = loop
    for use, found in callers.items():
        why = describe(analysis, frozenset().union(*(facts for _, facts in found)))
        if use in later:
            why += f" (on the later iterations of the loop at line {analysis.line(later[use])})"
        helpers = tuple(helper for helper, _ in found)
        yield HelperEvaluation(use, helpers, why, _holder_place(analysis, helpers))


def _holder_place(analysis: "ModeAnalysis", helpers: tuple[HelperEval, ...]) -> cst.CSTNode | None:
    """Where this file evaluates through calls of a method of the object that holds the model they run (``for
    val_data in val_dataset: model.set_input(val_data); model.test()``, ``test()`` running ``self.netG``): the holder's
    mode is its caller's to set, so the finding is here, at the evaluation loop that feeds it (the fix goes before
    it) or, outside one, at the call; None when a helper is given the model as an argument (an evaluation function
    owns the mode of what it is given)."""
    places = set()
    for helper in helpers:
        func = helper.site.node.func if isinstance(helper.site.node, cst.Call) else None
        holder = key_of(func.value) if isinstance(func, cst.Attribute) else None
        if holder is None or holder == "self" or not helper.site.key.startswith(holder + "."):
            return None  # (`self.evaluate(batch)`: a class's own methods share its model's mode between them)
        if not _sets_own_modes(helper.callee, helper.use):
            return None  # (a trainer's `test()`: an evaluation method of a class its user does not switch)
        places.add(_feeding_loop(analysis, helper.site.node, holder) or helper.site.node)
    return places.pop() if len(places) == 1 else None


def _sets_own_modes(callee: "ModeAnalysis", use: cst.CSTNode) -> bool:
    """Whether the class of the method running ``use`` defines (or inherits) an ``eval()`` of its own, as a model
    wrapper does (``BaseModel.eval()`` setting each of its nets): its user switches its modes, as a module's."""
    from bn_lint.semantic.project.definitions import inherited_definition

    func = callee.enclosing_function(use)
    info = callee.model.class_of_method(func) if func is not None else None
    return info is not None and ("eval" in info.methods or inherited_definition(callee.model, info, "eval") is not None)


def _feeding_loop(analysis: "ModeAnalysis", call: cst.Call, holder: str) -> cst.For | None:
    """The innermost ``for`` around ``call`` in its function whose items its body gives ``holder``
    (``model.set_input(val_data)``, ``model.test(x)``), when no training step runs in it (not the training loop
    that draws a validation batch now and then)."""
    model = analysis.model
    for ancestor in model.ancestors(call):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        if not isinstance(ancestor, cst.For):
            continue
        items = {n.value for n in walk(ancestor.target) if isinstance(n, cst.Name)}
        fed = any(isinstance(node.func, cst.Attribute) and key_of(node.func.value) == holder and any(
            isinstance(n, cst.Name) and n.value in items for arg in node.args for n in walk(arg.value))
            for node in model.nodes_of(ancestor.body, cst.Call))
        if fed:
            trains = any(ancestor in model.ancestors(site.node) for site in list(analysis.train_uses.values()))
            return None if trains else ancestor
    return None


def _evaluation_loop(model: "FileModel", node: cst.CSTNode) -> cst.For | None:
    """The innermost ``for`` loop around ``node`` in its function whose items ``node`` runs the model on
    (``for x, y in loader: model(x)``; not ``for s in scales:``), or None."""
    if not isinstance(node, cst.Call):
        return None
    read = {n.value for arg in node.args for n in walk(arg.value) if isinstance(n, cst.Name)}
    for ancestor in model.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        if isinstance(ancestor, cst.For) and read & {n.value for n in walk(ancestor.target) if isinstance(n, cst.Name)}:
            return ancestor
    return None


def _samples_on_purpose(model: "FileModel", analysis, node: cst.CSTNode, facts: frozenset) -> bool:
    """``G.train()`` and, with no training step between, samples drawn to be looked at (``make_grid``,
    ``save_image``) in the same function, not one named for evaluation: a generator sampled with batch
    statistics by choice, as DCGAN-style code does."""
    func = analysis.enclosing_function(node)
    if (func is not None and eval_named(func.name.value)) or not facts or not analysis.output_reads.visualised(node):
        return False
    end = model.order(node)
    for fact in facts:
        if fact.why != "train()" or fact.node is None or analysis.enclosing_function(fact.node) is not func:
            return False
        start = model.order(fact.node)
        if not 0 <= start < end or any(
                start < model.order(call) < end and isinstance(call.func, cst.Attribute)
                and call.func.attr.value in ("backward", "step") for call in model.nodes_of(func or model.module, cst.Call)):
            return False
    return True


def _recalibration(model: "FileModel", analysis, node: cst.CSTNode, facts: frozenset) -> bool:
    """``model.train()`` and then ``model(x)`` with the output thrown away: re-estimating the BatchNorm
    statistics on purpose (``update_bn``-style), not an evaluation; unless forward hooks the function registers
    record what the run computes (features collected through a hook)."""
    func = analysis.enclosing_function(node)
    if all(f.why == "train()" for f in facts) and _resets_statistics_before(analysis, node, func):
        return True  # (running statistics cleared, then re-estimated in training mode: "BN sanitize")
    if _cumulative_batchnorm(analysis, node):
        return True  # (`bn = nn.BatchNorm1d(c, momentum=None)` run in training mode: it accumulates its statistics)
    return isinstance(model.parent(node), cst.Expr) and all(f.why == "train()" for f in facts) \
        and (func is None or hooks_before(model, node, func) is None)


_STATISTICS = frozenset({"running_mean", "running_var", "num_batches_tracked"})


def _resets_statistics_before(analysis, node: cst.CSTNode, func: cst.FunctionDef | None) -> bool:
    """Whether the function clears BatchNorm running statistics before ``node`` (``m.running_mean =
    torch.zeros_like(...)``, ``m.reset_running_stats()``, ``m.running_var.fill_(1)``)."""
    model = analysis.model
    where = func if func is not None else model.module
    line = analysis.line(node)
    for target in model.nodes_of(where, cst.Attribute):
        if target.attr.value in _STATISTICS | {"reset_running_stats"} and analysis.line(target) < line:
            parent = model.parent(target)
            if isinstance(parent, cst.AssignTarget) or target.attr.value == "reset_running_stats" \
                    or isinstance(parent, cst.Attribute) and parent.attr.value in ("zero_", "fill_"):
                return True
        if target.attr.value == "momentum" and analysis.line(target) < line and isinstance(
                assign := model.parent(model.parent(target)), cst.Assign) and _none(assign.value):
            return True  # (`m.momentum = None`: a cumulative average from here, `update_bn`'s recipe)
    return False


def _cumulative_batchnorm(analysis, node: cst.CSTNode) -> bool:
    """Whether the model run at ``node`` is a BatchNorm layer built with ``momentum=None``, a cumulative average
    of every batch it sees in training mode: run so to estimate its statistics (a demonstration, a re-estimation)."""
    model = analysis.model
    site = analysis.uses.get(node)
    bound = model.binding(site.key, site.scope) if site is not None and site.key.isidentifier() else None
    built = bound[0] if bound is not None else None
    if not isinstance(built, cst.Call):
        return False
    layer = model.layer_class(built.func, bound[1])
    return layer is not None and layer[0].is_batchnorm and any(
        arg.keyword is not None and arg.keyword.value == "momentum" and _none(arg.value) for arg in built.args)


def _none(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "None"
