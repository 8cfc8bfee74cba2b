"""Per-device batch sizes split from a global one by a world size the code does not fix.

``batch_size=args.batch_size // dist.get_world_size()`` (or ``int(cfg.batch / world_size)``,
``// torch.cuda.device_count()``, ``// args.ngpus``): the world size is known only at run time,
but a distributed run has at least 2 processes, so each gets at most half the global batch.
``per_device_bound`` gives that bound when the global batch is known.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.batching.facts import Size

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.batching.analysis import BatchAnalysis
    from bn_lint.semantic.file.model import Scope

_WORLD_CALLS = frozenset({"torch.distributed.get_world_size", "torch.cuda.device_count", "horovod.torch.size",
                          "accelerate.state.PartialState.num_processes"})
_WORLD_NAMES = re.compile(r"(?i)(world_?size|n_?gpus?|num_?gpus?|gpu_?count|n_?devices|num_?devices|nprocs|num_?replicas)$")


def per_device_bound(analysis: "BatchAnalysis", expr: cst.BaseExpression, scope: "Scope") -> Size | None:
    """At most how many samples each process gets from ``global // world`` (None when not that form)."""
    model = analysis.model
    if isinstance(expr, cst.Name):
        bound = model.bindings(expr.value, scope)
        if bound is None or len(bound[0]) != 1:
            return None
        expr, scope = bound[0][0], bound[1]
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "int" and len(expr.args) == 1:
        expr = expr.args[0].value
    if not (isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.FloorDivide, cst.Divide))):
        return None
    if not _world_size(analysis, expr.right, scope):
        return None
    total = analysis.size(expr.left, scope)
    if total is None:
        return None
    return Size(total.value // 2, f"{total.describe()} split over 2 or more processes")


def _world_size(analysis: "BatchAnalysis", expr: cst.BaseExpression, scope: "Scope") -> bool:
    """``dist.get_world_size()``, ``torch.cuda.device_count()``, or a name / attribute called so whose
    value the code does not fix."""
    model = analysis.model
    if isinstance(expr, cst.Call):
        return model.qualname(expr.func) in _WORLD_CALLS
    if isinstance(expr, cst.Name):
        name = expr.value
    elif isinstance(expr, cst.Attribute):
        name = expr.attr.value
    else:
        return False
    if not _WORLD_NAMES.search(name):
        return False
    if isinstance(expr, cst.Name):
        bound = model.bindings(expr.value, scope)
        if bound is not None:
            return all(_world_size(analysis, value, bound[1]) or analysis.size(value, bound[1]) is None
                       for value in bound[0])
    return analysis.size(expr, scope) is None  # (a known world size makes the division exact: `size` has it)
