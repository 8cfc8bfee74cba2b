"""The first iteration of a loop, and its later ones, are paths of their own (RULES.md: a bug on one visible path
is a bug).

An evaluation at the top of a training loop (``labels = obtain_label(loader, net)`` under ``while step <
max_step:``) runs, on the loop's first iteration, the model as the code before the loop leaves it (built,
``load_state_dict``: training mode); what the loop's body does after the call (``net.eval()`` further down,
never undone) reaches it only on later iterations, through the loop's back edge. The first iteration's
facts are reported when they show training mode and every other mode the later iterations bring is set
after the evaluation in a loop around both (or is unknown), not on another branch before it.

The other way round (``policy.eval()`` before a rollout loop whose steps run ``policy(obs)`` under
``torch.no_grad()`` and then, every few steps, ``policy.train()`` for an update): the eval reaches the first
iteration, and the ``.train()`` later in the loop reaches every later one, through the back edge; those
iterations are reported with the facts that show training mode.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.modes.keys import _called_name
from bn_lint.semantic.modes.state import TRAIN, UNKNOWN_MODE

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.modes import ModeAnalysis
    from bn_lint.semantic.modes.records import Site

_LOOPS = frozenset({"For", "While"})  # (by name: libcst is not loaded at import)
_DEPTH = 3  # how many levels of this file's callers lead to the evaluation


def first_iteration(analysis: "ModeAnalysis", node: cst.CSTNode, site: "Site", facts: frozenset,
                    evaluating: bool = False) -> tuple[frozenset, cst.CSTNode | None]:
    """The facts of the first time the flow reached ``node`` (the first iteration of the loops around it,
    or around the calls of this file that lead to it) when they show training mode and the later
    iterations add only unknown modes or modes set after it in the loop; with the loop whose first
    iteration that is (None: ``facts`` as given); ``evaluating``: as ``resolved`` takes it."""
    if analysis.kinds.shown_train(facts):
        return facts, None
    first = analysis.first_uses.get((node, site.key)) or site
    first_facts = analysis.entry.resolved(first, first=True, evaluating=evaluating)
    if not analysis.kinds.shown_train(first_facts) or first_facts == facts:
        return facts, None
    later = [f for f in facts - first_facts if f.mode not in (TRAIN, UNKNOWN_MODE)]
    if not later:
        return first_facts, _loop_around(analysis, node)
    anchors = calls_leading_to(analysis, node)
    loops = set()
    for fact in later:
        loop = _loop_after(analysis, fact.node, anchors) if fact.node is not None else None
        if loop is None:
            return facts, None  # (set on another branch before it, or by a caller: a path of its own)
        loops.add(loop)
    return first_facts, min(loops, key=analysis.order)


def first_pass_of_callers(analysis: "ModeAnalysis", node: cst.CSTNode, site: "Site", facts: frozenset,
                          assumed: dict, evaluating: bool = False) -> tuple[frozenset, cst.CSTNode | None]:
    """For a run on a path its callers decide (``run_epoch(..., is_training=False)``): the facts of the deciding
    calls' first pass (the first iteration of the loops around them) when they show training mode and the later
    passes add only unknown modes (the model handed to code out of sight after its training step), with the loop
    around the first deciding call that has one (None: ``facts`` as given). The function's own loops are walked
    whole: a phase loop (``for phase in ["train", "val"]``) starts with the phase that trains."""
    if analysis.kinds.shown_train(facts):
        return facts, None
    first_facts = analysis.entry.resolved(site, first=True, assumed=assumed, evaluating=evaluating)
    if not analysis.kinds.shown_train(first_facts) or first_facts == facts \
            or any(f.mode not in (TRAIN, UNKNOWN_MODE) for f in facts - first_facts):
        return facts, None
    loops = [loop for call in calls_leading_to(analysis, node)[1:] if (loop := _loop_around(analysis, call)) is not None]
    return (first_facts, loops[0]) if loops else (facts, None)


def later_iterations(analysis: "ModeAnalysis", node: cst.CSTNode, facts: frozenset
                     ) -> tuple[frozenset, cst.CSTNode | None]:
    """The facts of the later iterations of a loop around ``node`` when training mode is set after it in that
    loop (``.train()`` or a training step further down the body, reaching it through the back edge), with that
    loop (None: ``facts`` as given)."""
    if analysis.kinds.shown_train(facts):
        return facts, None
    anchors = None
    later, loops = set(), set()
    # (a helper that leaves the model in training mode only on some of its paths, `if was_training: model.train()
    # else: model.eval()` restoring the mode it found, brings no later iteration of its own)
    mixed = {id(f.node) for f in facts if f.mode != TRAIN and f.node is not None}
    for fact in facts:
        if fact.mode != TRAIN or fact.node is None or id(fact.node) in mixed:
            continue
        anchors = anchors if anchors is not None else calls_leading_to(analysis, node)
        loop = _loop_after(analysis, fact.node, anchors)
        if loop is not None:
            later.add(fact)
            loops.add(loop)
    if not later or not analysis.kinds.shown_train(frozenset(later)):
        return facts, None
    return frozenset(later), min(loops, key=analysis.order)


def calls_leading_to(analysis: "ModeAnalysis", node: cst.CSTNode) -> list[cst.CSTNode]:
    """``node`` and the calls of this file that lead to it, a few levels up (``obtain_label(loader, net)``
    for the model's run inside ``obtain_label``)."""
    found = [node]
    functions = [analysis.enclosing_function(node)]
    seen: set = set()
    for _ in range(_DEPTH):
        named = {func.name.value for func in functions if func is not None and func not in seen}
        seen.update(functions)
        if not named:
            break
        calls = [site.node for site in analysis.model.calls if _called_name(site.node.func) in named]
        found += calls
        functions = [analysis.enclosing_function(call) for call in calls]
    return found


def _loop_after(analysis: "ModeAnalysis", set_at: cst.CSTNode, anchors: list[cst.CSTNode]) -> cst.CSTNode | None:
    """A loop around both ``set_at`` and one of ``anchors`` in which ``set_at`` comes later: what it sets
    reaches the anchor only on the next iteration."""
    model = analysis.model
    around = [a for a in model.ancestors(set_at) if type(a).__name__ in _LOOPS]
    for anchor in anchors:
        if model.order(anchor) >= model.order(set_at):
            continue
        mine = {id(a) for a in model.ancestors(anchor) if type(a).__name__ in _LOOPS}
        for loop in around:
            if id(loop) in mine:
                return loop
    return None


def _loop_around(analysis: "ModeAnalysis", node: cst.CSTNode) -> cst.CSTNode | None:
    return next((a for a in analysis.model.ancestors(node) if type(a).__name__ in _LOOPS), None)
