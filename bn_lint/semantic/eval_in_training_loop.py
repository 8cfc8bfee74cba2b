"""A model put in eval inside a training loop and not put back in training mode (RULES.md, BN103).

Reads the mode flow (:mod:`.modes`): a training step whose model is in eval mode
because of an ``.eval()`` later in the same loop (an evaluation at the end of each
epoch), with no ``.train()`` before the next iteration's step. Left out: an eval
before the step in the same iteration (deliberate), models without BatchNorm, and an
eval that runs only on the last iteration (``if epoch == epochs - 1``, or a branch that
leaves the loop).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from .batches import BatchAnalysis
from .modes import EVAL
from .modules import ModelKind
from .walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from .model import FileModel
    from .modes import ModeAnalysis


@dataclass(frozen=True)
class EvalInTrainingLoop:
    """``key`` put in eval at ``node`` (``how``) inside ``loop``, in eval at the training step ``step``."""

    node: cst.CSTNode
    key: str
    how: str
    loop: cst.CSTNode
    step: cst.CSTNode


def evals_in_training_loops(model: "FileModel", analysis: "ModeAnalysis") -> Iterator[EvalInTrainingLoop]:
    """Each ``.eval()`` of a BatchNorm model inside its training loop that leaves the next iteration's
    training step in eval mode."""
    seen: set[cst.CSTNode] = set()
    for site in analysis.train_uses.values():
        for fact in site.facts:
            if fact.mode != EVAL or fact.node is None or fact.node in seen:
                continue
            loop = _loop_around_both(model, site.node, fact.node)
            if loop is None or analysis.order(fact.node) < analysis.order(site.node):
                continue  # eval before the training step in the same iteration: deliberate
            if analysis.kind(site.key, site.facts, site.scope) not in (ModelKind.BN, ModelKind.MAYBE):
                continue
            if _last_iteration_only(model, fact.node, loop):
                continue
            seen.add(fact.node)
            how = fact.where.format(line=analysis.line(fact.node))
            yield EvalInTrainingLoop(fact.node, site.key, how, loop, site.node)


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


def _last_iteration_only(model: "FileModel", node: cst.CSTNode, loop: cst.CSTNode) -> bool:
    """The eval sits in an ``if`` that holds only on the last iteration (``epoch == epochs - 1``) or leaves the loop."""
    target_names = set()
    if isinstance(loop, cst.For):
        target_names = {n.value for n in walk(loop.target) if isinstance(n, cst.Name)}
    for ancestor in model.ancestors(node):
        if ancestor is loop:
            return False
        if not isinstance(ancestor, cst.If):
            continue
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
