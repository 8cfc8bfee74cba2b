"""Forward passes on synthetic input run by another file's helper (a graph tracer, a layer wrapper) on a model
given to it: ``wrap_layers(model, Wrapper, torch.rand(1, 3, 224, 224))`` runs ``model`` in the mode it has here."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind
from bn_lint.semantic.file.names import value_at
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from .analysis import ModeAnalysis
    from .records import Summary


# tensors of random or constant values: what a smoke test or a tracer feeds a model (one table for the mode flow)
_SYNTHETIC = frozenset({"torch.randn", "torch.rand", "torch.zeros", "torch.ones", "torch.empty", "torch.randint"})
# methods that give the same data in another shape, type or device (`torch.rand(s).unsqueeze(0).to(device)`)
_SAME_DATA = frozenset({"to", "cuda", "cpu", "float", "double", "half", "detach", "contiguous", "unsqueeze", "view",
                        "reshape", "expand", "repeat", "requires_grad_", "clone"})
# functions that give their first argument's data back wrapped (`Variable(torch.zeros(1, 3, h, w))`, PyTorch < 0.4)
_WRAPS_DATA = frozenset({"torch.autograd.Variable", "torch.autograd.variable.Variable"})


def synthetic(model: "FileModel", expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
    """Whether ``expr`` (read at ``at``) certainly holds a tensor of random or constant values."""
    for _ in range(3):  # (`x = torch.zeros(s)`, then `data = Variable(x)`: a name, wrapped, bound to a name)
        if isinstance(expr, cst.Name):
            bound = model.binding(expr.value, model.scope_of(at))
            expr = bound[0] if bound is not None else value_at(model, expr.value, at)
        while isinstance(expr, cst.Call):
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _SAME_DATA:
                expr = expr.func.value
            elif expr.args and expr.args[0].keyword is None and not expr.args[0].star \
                    and model.qualname(expr.func) in _WRAPS_DATA:
                expr = expr.args[0].value
            else:
                break
        if not isinstance(expr, cst.Name):
            break
    return isinstance(expr, cst.Call) and model.qualname(expr.func) in _SYNTHETIC


def synthetic_run(callee: "ModeAnalysis", summary: "Summary", param: str, given: dict, call: cst.Call,
                  caller: "FileModel") -> cst.Call | None:
    """The callee's call that runs its parameter ``param`` (in the mode the caller gives it) on synthetic input:
    input it makes itself, or a parameter of its own that ``call`` (in ``caller``) gives synthetic input and
    that it does not rebind before (``given``: the callee's parameters -> the call's arguments); None when it
    runs it on nothing synthetic."""
    for use, key in summary.entry_uses:
        if key != param or not isinstance(use, cst.Call) or not use.args:
            continue
        if all(_synthetic_input(callee, arg.value, use, summary, given, call, caller) for arg in use.args):
            return use
    return None


def _synthetic_input(callee: "ModeAnalysis", value: cst.BaseExpression, use: cst.Call, summary: "Summary",
                     given: dict, call: cst.Call, caller: "FileModel") -> bool:
    model = callee.model
    if synthetic(model, value, use):
        return True
    if not (isinstance(value, cst.Name) and value.value in summary.params and value.value in given):
        return False
    function = callee.enclosing_function(use)
    at = model.order(use)
    rebound = function is None or any(
        model.order(node) < at and any(isinstance(n, cst.Name) and n.value == value.value
                                        for t in node.targets for n in walk(t.target))
        for node in model.nodes_of(function, cst.Assign))
    return not rebound and synthetic(caller, given[value.value], call)


def evaluation_after(analysis: "ModeAnalysis", key: str, body: cst.CSTNode, at: int) -> list[cst.CSTNode]:
    """``[call]``: the first call after ``at`` in ``body`` that puts the module named ``key`` in eval: ``key.eval()``,
    or a function (of any file) given it that leaves it in eval on one of its paths and trains it on none
    (``score(model, loader)`` calling ``model.eval()``; ``test(net)``, whose weight count calls ``net.train()``
    after its evaluation when asked to)."""
    model = analysis.model
    for call in sorted(model.nodes_of(body, cst.Call), key=model.order):
        if model.order(call) <= at:
            continue
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "eval" and not call.args \
                and isinstance(call.func.value, cst.Name) and call.func.value.value == key:
            return [call]
        passed = [arg for arg in call.args if isinstance(arg.value, cst.Name) and arg.value.value == key]
        target = analysis.callees.callee(call) if passed else None
        summary = target[0].summary(target[1]) if target is not None else None
        if summary is None:
            continue
        given = bind(call, [p for p in summary.params if p != "self"], model).values
        for param, arg in given.items():
            facts = summary.effects.get(param)
            if isinstance(arg, cst.Name) and arg.value == key and facts and "eval" in {f.mode for f in facts} \
                    and param not in summary.steps and param not in summary.trains:
                return [call]  # (it puts the module in eval, on a path it takes, and trains it on none)
    return []


def feeds_later_step(model: "FileModel", call: cst.Call, region: cst.CSTNode, steps: list[cst.Call]) -> bool:
    """Whether what ``call`` gives back reaches one of ``steps`` after it in ``region``: names assigned from it, and
    from those in later assignments of ``region``, read by the step or by what it is called on."""
    at = model.order(call)
    parent = model.parent(call)
    while parent is not None and not isinstance(parent, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.BaseStatement)):
        parent = model.parent(parent)
    if not isinstance(parent, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
        return False  # (its result dropped, or given straight to a call: read at the statement, not by a step)
    targets = parent.targets if isinstance(parent, cst.Assign) else [parent]
    derived = {n.value for t in targets for n in walk(t.target) if isinstance(n, cst.Name)}
    for node in sorted(model.nodes_of(region, cst.Assign, cst.AugAssign), key=model.order):
        if model.order(node) > at and node.value is not None \
                and any(isinstance(n, cst.Name) and n.value in derived for n in walk(node.value)):
            targets = node.targets if isinstance(node, cst.Assign) else [node]
            derived |= {n.value for t in targets for n in walk(t.target) if isinstance(n, cst.Name)}
    return any(model.order(step) > at and any(isinstance(n, cst.Name) and n.value in derived for n in walk(step))
               for step in steps)
