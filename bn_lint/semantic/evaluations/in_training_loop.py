"""A model put in eval inside a training loop and not put back in training mode (RULES.md, BN103).

Reads the mode flow (:mod:`.modes`): a training step whose model is in eval mode
because of an ``.eval()`` later in the same loop (an evaluation at the end of each
epoch), with no ``.train()`` before the next iteration's step, or because a helper that evaluates it
(puts it in eval and runs it) earlier in the iteration leaves it so. Left out: an ``.eval()`` (or a helper
that only sets the mode) before the step in the same iteration (deliberate), models without BatchNorm, and an
eval that runs only on the last iteration (``if epoch == epochs - 1``, or a branch that
leaves the loop). Also an evaluation callback of this file left in eval inside another file's training
loop (:mod:`.callback_loops`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

import libcst as cst

from bn_lint.semantic.batching.analysis import BatchAnalysis
from bn_lint.semantic.evaluations.callback_loops import callback_evals
from bn_lint.semantic.evaluations.first_iteration import calls_leading_to
from bn_lint.semantic.modes import EVAL, key_of
from bn_lint.semantic.modes.eval_names import eval_named
from bn_lint.semantic.modes.method_names import method_evaluates_self
from bn_lint.semantic.nn_modules.bearing import ModelKind
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.modes import ModeAnalysis


@dataclass(frozen=True)
class EvalInTrainingLoop:
    """``key`` put in eval at ``node`` (``how``) inside ``loop``, in eval at the training step ``step``."""

    node: cst.CSTNode
    key: str
    how: str
    loop: cst.CSTNode
    step: cst.CSTNode
    via: str = ""  # a callback that another file's training loop runs: how (the loop and step are there)
    late: cst.CSTNode | None = None  # the `.train()` after the training step that was meant to come before it
    at: cst.CSTNode | None = None  # the `.eval()` itself, in a helper method of this file that ``node`` calls


def evals_in_training_loops(model: "FileModel", analysis: "ModeAnalysis") -> Iterator[EvalInTrainingLoop]:
    """Each ``.eval()`` of a BatchNorm model inside its training loop that leaves the next iteration's
    training step in eval mode; then each evaluation between two training runs (no loop around both)
    whose second run is not in a loop already reported (the eval there says it)."""
    seen: set[cst.CSTNode] = set()
    later: list[tuple[cst.CSTNode, Any, Any]] = []
    loops: list[tuple[str, cst.CSTNode]] = []
    for site in analysis.train_uses.values():
        for fact in _in_order(analysis, site.facts):
            if fact.mode != EVAL or fact.node is None or fact.node in seen:
                continue
            loop = _loop_around_both(model, site.node, fact.node) or _loop_around_caller(model, analysis, site.node, fact) \
                or _repeated_hook(model, site.node, fact.node)
            late = _train_after(analysis, fact, site) if loop is None else None
            if late is not None and analysis.kinds.kind(site.key, site.facts, site.scope) in (ModelKind.BN, ModelKind.MAYBE):
                seen.add(fact.node)  # (`model.eval()` for an attack, the loss forwards, then `model.train()`: too late)
                yield EvalInTrainingLoop(fact.node, site.key, fact.where.format(line=analysis.line(fact.node)), site.node,
                                         site.node, late=late)
                continue
            if loop is None and _evaluated_between_trainings(model, analysis, fact.node, site):
                later.append((fact.node, fact, site))  # train, evaluate, train again: the second run trains in eval
                continue
            if loop is None or (analysis.order(fact.node) < analysis.order(site.node)
                                and not _evaluation_left_in_eval(analysis, fact)
                                and not _evaluated_after(analysis, fact, site)
                                and not (isinstance(loop, cst.For) and fact.node is loop.iter)):
                # (but an eval the loop's own iterable sets, a generator drawing synthetic batches with the model,
                # is no choice the training step makes)
                continue  # `.eval()` before the training step in the same iteration: deliberate
            if analysis.kinds.kind(site.key, site.facts, site.scope) not in (ModelKind.BN, ModelKind.MAYBE):
                continue
            if _last_iteration_only(model, fact.node, loop):
                continue
            seen.add(fact.node)
            loops.append((site.key, loop))
            yield EvalInTrainingLoop(fact.node, site.key, fact.where.format(line=analysis.line(fact.node)), loop, site.node,
                                     at=_inner_eval(analysis, fact.node, site.key))
    for node, fact, site in later:
        if node in seen or analysis.kinds.kind(site.key, site.facts, site.scope) not in (ModelKind.BN, ModelKind.MAYBE) \
                or any((key == site.key or site.key.startswith(key + ".")) and loop in model.ancestors(site.node)
                       for key, loop in loops):  # (a part of a model reported in that loop: the same defect)
            continue
        seen.add(node)
        yield EvalInTrainingLoop(node, site.key, fact.where.format(line=analysis.line(node)), site.node, site.node)
    for found in callback_evals(model, analysis, _last_iteration_only):
        if found.node not in seen:
            seen.add(found.node)
            yield EvalInTrainingLoop(found.node, found.key, found.how, found.node, found.node, found.where)


def _evaluation_left_in_eval(analysis: "ModeAnalysis", fact) -> bool:
    """Whether the eval ``fact`` records is left by a helper that evaluates (``generate(model, x)``: puts the
    model in eval and runs it, and does not put it back): its mode reaches the training step after it by
    accident, not by a choice of the training loop (a bare ``model.eval()``, a ``freeze_bn(model)``)."""
    call = fact.node
    if fact.why != "helper" or not isinstance(call, cst.Call):
        return False
    target = analysis.callees.callee(call)
    if target is None:  # (`model.predict(x)` of the model's class out of sight: its definitions' text says so)
        return isinstance(call.func, cst.Attribute) and method_evaluates_self(analysis, call.func.attr.value)
    callee, func = target
    return any(callee.enclosing_function(node) is func for node in list(callee.uses))


def _evaluated_after(analysis: "ModeAnalysis", fact, site) -> bool:
    """Whether the inline ``.eval()`` that ``fact`` records is followed, before the training step of ``site`` (or
    the call of this file that leads to it), by an evaluation of the model it sets in the same function: a run of it
    for evaluation, or a helper of this file given it that evaluates it (``model.eval()``, ``test(model, loader)``,
    then ``train(deepcopy(model))``): an evaluation's mode left behind, not a choice for the training step."""
    node = fact.node
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "eval"):
        return False
    key = key_of(node.func.value)
    func = analysis.enclosing_function(node)
    ends = [anchor for anchor in calls_leading_to(analysis, site.node)
            if analysis.enclosing_function(anchor) is func and analysis.order(anchor) > analysis.order(node)]
    if key is None or not ends:
        return False
    end = analysis.order(ends[0])
    for call in analysis.model.nodes_of(func or analysis.model.module, cst.Call):
        if not analysis.order(node) < analysis.order(call) < end:
            continue
        use = analysis.uses.get(call)
        if use is not None and use.key == key and analysis.evaluation.eval_reason(call) is not None:
            return True
        target = analysis.callees.callee(call)
        summary = target[0].summary(target[1]) if target is not None and target[0] is analysis else None
        if summary is not None and any(key_of(arg.value) == key and param in analysis.evaluations(summary)
                                       for param, arg in zip(summary.params, call.args) if arg.keyword is None):
            return True
    return False


def _evaluated_between_trainings(model: "FileModel", analysis: "ModeAnalysis", evaluated: cst.CSTNode, site) -> bool:
    """``fit(model); predict(model); fit(model)`` in one function: ``evaluated`` is a call of a function
    named for evaluation (``predict_dataloader()``) or an ``.eval()`` in one, after a training step of the
    same model and before this one (``site``); a model put in eval before its first step is a choice."""
    if not (analysis.order(evaluated) < analysis.order(site.node)
            and analysis.enclosing_function(evaluated) is analysis.enclosing_function(site.node)):
        return False
    func = evaluated.func if isinstance(evaluated, cst.Call) else None
    called = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    called = "" if called in ("eval", "train") else called  # (`.eval()` itself: the function around it must say so)
    around = analysis.enclosing_function(evaluated)
    if not (eval_named(called) or (around is not None and eval_named(around.name.value))):
        return False
    return any(other.key == site.key and analysis.order(other.node) < analysis.order(evaluated)
               and analysis.enclosing_function(other.node) is around for other in analysis.train_uses.values())


def _loop_around_caller(model: "FileModel", analysis: "ModeAnalysis", step: cst.CSTNode, fact) -> cst.CSTNode | None:
    """The training loop around a call of this file that runs the function holding both the training step's forward
    and, before it, a helper's evaluation that leaves the model in eval (``loss = train_fixmatch(model, x, u)`` in the
    loop, whose ``pseudo_labeling(model, u)`` puts it in eval before ``model(x)``): every iteration trains in eval."""
    func = analysis.enclosing_function(step)
    if func is None or analysis.enclosing_function(fact.node) is not func or not _evaluation_left_in_eval(analysis, fact):
        return None
    for anchor in calls_leading_to(analysis, step)[1:]:
        loop = next((a for a in model.ancestors(anchor) if isinstance(a, (cst.For, cst.While))), None)
        if loop is not None and analysis.steps.trains(loop):
            return loop
    return None


def _loop_around_both(model: "FileModel", a: cst.CSTNode, b: cst.CSTNode) -> cst.CSTNode | None:
    around_b = set()
    for ancestor in model.ancestors(b):
        if isinstance(ancestor, (cst.FunctionDef, cst.Module)):
            break
        around_b.add(ancestor)
    for ancestor in model.ancestors(a):
        if isinstance(ancestor, (cst.FunctionDef, cst.Module)):
            return None
        if isinstance(ancestor, (cst.For, cst.While)) and ancestor in around_b:
            return ancestor
    return None


def _in_order(analysis: "ModeAnalysis", facts) -> list:
    """``facts`` in the order their nodes stand in the file (a set's order changes from run to run: the finding
    it picks must not)."""
    return sorted(facts, key=lambda f: (analysis.order(f.node) if f.node is not None else -1, f.mode, f.why, f.where))


def _inner_eval(analysis: "ModeAnalysis", node: cst.CSTNode, key: str) -> cst.CSTNode | None:
    """The ``.eval()`` on ``self``'s part ``key`` that the call ``node`` of a method of this file's class leads to,
    through the methods it calls on ``self`` (``self.process_batch(x)`` -> ``self.generate_images_pred()`` ->
    ``self.models['encoder'].eval()``) inside the training step: where the mode is left, and the fix goes; None when
    not found that way, or for a helper named for evaluation."""
    func = node.func if isinstance(node, cst.Call) else None
    if not key.startswith("self") or isinstance(func, cst.Attribute) and eval_named(func.attr.value):
        return None  # (`self.evaluate("val")` after the epoch: an evaluation left in eval, fixed where it is called)
    found = None
    for _ in range(8):
        func = node.func if isinstance(node, cst.Call) else None
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self"):
            return found
        if func.attr.value == "eval":
            return node
        target = analysis.callees.callee(node, other_files=False)
        summary = target[0].summary(target[1]) if target is not None and target[0] is analysis else None
        inner = next((f.node for f in _in_order(analysis, summary.effects.get(key, ()) if summary is not None else ())
                      if f.mode == EVAL and f.node is not None), None)
        if inner is None:
            return found
        node = found = inner
    return found


def _train_after(analysis: "ModeAnalysis", fact, site) -> cst.Call | None:
    """The ``.train()`` on the same model that the function of the training run ``site`` calls after it, when the
    ``.eval()`` of ``fact``, in the same function, came before it: the function means its training step to run in
    training mode and sets it too late (``model.eval()`` for an attack, the loss forwards, then ``model.train()``): the
    eval is for runs of the model before the training one (an eval for the training forward itself is a choice)."""
    node = fact.node
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "eval"):
        return None
    func = analysis.enclosing_function(site.node)
    if func is None or analysis.enclosing_function(node) is not func or analysis.order(node) > analysis.order(site.node):
        return None
    key = key_of(node.func.value)
    start, end = analysis.order(node), analysis.order(site.node)
    if not any(use.key == key and start < analysis.order(use_node) < end and use_node not in analysis.train_uses
               for use_node, use in list(analysis.uses.items())):
        return None  # (the eval is for the training forward itself, `target = encoder(x)` in eval mode: a choice)
    for call in analysis.model.nodes_of(func, cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "train" and not call.args \
                and key_of(call.func.value) == key and analysis.order(call) > analysis.order(site.node) \
                and analysis.enclosing_function(call) is func:
            return call
    return None


def _repeated_hook(model: "FileModel", a: cst.CSTNode, b: cst.CSTNode) -> cst.FunctionDef | None:
    """The framework hook run once per batch (``training_step``) that holds both nodes: the framework's loop
    around it is the training loop."""
    from bn_lint.semantic.modes.framework_hooks import hook_of

    func = next((n for n in model.ancestors(a) if isinstance(n, cst.FunctionDef)), None)
    if func is None or not any(n is func for n in model.ancestors(b)):
        return None
    found = hook_of(model, func)
    return func if found is not None and found[0].repeats else None


def _last_iteration_only(model: "FileModel", node: cst.CSTNode, loop: cst.CSTNode) -> bool:
    """The eval sits in an ``if`` that holds only on the last iteration (``epoch == epochs - 1``) or leaves the loop."""
    target_names = set()
    if isinstance(loop, cst.For):
        target_names = {n.value for n in walk(loop.target) if isinstance(n, cst.Name)}
    child = node
    for ancestor in model.ancestors(node):
        if ancestor is loop:
            return False
        inside_test, child = child is ancestor.test if isinstance(ancestor, cst.If) else False, ancestor
        if not isinstance(ancestor, cst.If) or inside_test:
            continue  # (`if coco_eval(model): return`: the test runs on every iteration, only its body leaves)
        body = ancestor.body.body
        last = body[-1] if body else None
        if isinstance(last, cst.SimpleStatementLine) and any(isinstance(s, (cst.Break, cst.Return)) for s in last.body):
            return True
        if _only_last(model, ancestor.test, loop, target_names):
            return True
    return False


def _only_last(model: "FileModel", test: cst.BaseExpression, loop: cst.CSTNode, targets: set[str]) -> bool:
    """Whether ``test`` holds on the last iteration only: ``epoch == epochs - 1``; for ``a or b`` both
    sides must (``(epoch + 1) % freq == 0 or epoch == last`` holds every ``freq`` epochs), for ``a and b``
    one side."""
    if isinstance(test, cst.BooleanOperation):
        sides = (_only_last(model, test.left, loop, targets), _only_last(model, test.right, loop, targets))
        return all(sides) if isinstance(test.operator, cst.Or) else any(sides)
    if not isinstance(test, cst.Comparison):
        return False
    if any(isinstance(n, cst.BinaryOperation) and isinstance(n.operator, cst.Modulo) for n in walk(test)):
        return False  # `it % interval == 0`: every interval-th iteration, not the last one
    names = {n.value for n in walk(test) if isinstance(n, cst.Name)}
    if names & targets and any(isinstance(t.operator, cst.Equal) for t in test.comparisons):
        return _may_be_last(model, test, loop, targets)
    return False


def _may_be_last(model: "FileModel", comparison: cst.Comparison, loop: cst.CSTNode, targets: set[str]) -> bool:
    """Whether ``epoch == ...`` may hold on the last iteration only: False when both sides are known
    numbers and the test picks another iteration (``epoch + 1 == PSEUDO_EPOCH`` in ``range(EPOCHS)``)."""
    if len(comparison.comparisons) != 1 or not isinstance(loop, cst.For):
        return True
    it = loop.iter
    if not (isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value == "range"
            and 1 <= len(it.args) <= 2 and not any(a.keyword or a.star for a in it.args)):
        return True
    scope = model.scope_of(comparison)
    stop = model.analysis(BatchAnalysis).size(it.args[-1].value, scope)
    sides = [comparison.left, comparison.comparisons[0].comparator]
    with_target = [side for side in sides if any(isinstance(n, cst.Name) and n.value in targets for n in walk(side))]
    if len(with_target) != 1 or stop is None:
        return True
    this, other = with_target[0], next(side for side in sides if side is not with_target[0])
    offset = 0
    if isinstance(this, cst.BinaryOperation) and isinstance(this.left, cst.Name) and this.left.value in targets:
        step = model.value(this.right, scope)
        if not isinstance(step, int) or not isinstance(this.operator, (cst.Add, cst.Subtract)):
            return True
        offset = step if isinstance(this.operator, cst.Add) else -step
    elif not (isinstance(this, cst.Name) and this.value in targets):
        return True
    value = model.analysis(BatchAnalysis).size(other, scope)
    return value is None or value.value - offset == stop.value - 1
