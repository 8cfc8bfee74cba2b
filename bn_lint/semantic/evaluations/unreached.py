"""An evaluation in a suite that no visible call of its function runs: ``if model_check: net(x)`` in a function
whose every call in its file gives (or leaves at its default) ``model_check=False``, and that no other file calls.
No path the code shows brings it about (RULES.md: a bug needs one visible path)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_branches import dead_suites, in_dead_suite
from bn_lint.semantic.project.callers import called_elsewhere

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.modes import ModeAnalysis


def off_every_call(analysis: "ModeAnalysis", node: cst.CSTNode) -> bool:
    """Whether ``node`` sits in a suite of its module-level function that each of the function's calls in this file
    rules out by a flag it gives, and no other file calls the function."""
    model = analysis.model
    func = analysis.enclosing_function(node)
    if func is None or model.functions.get(func.name.value) is not func:
        return False
    calls = [site for site in model.calls
             if isinstance(site.node.func, cst.Name) and site.node.func.value == func.name.value]
    if not calls or not all(in_dead_suite(model, node, dead_suites(model, func, site.node, model, site.scope))
                            for site in calls):
        return False
    return not called_elsewhere(model, func.name.value)
