"""A model in training mode run on a batch of one sample, outside any data loader.

Shape probes and repros do it: ``bn(torch.randn(1, 100))``, ``hl.build_graph(model,
torch.zeros([1, 300]))``, ``embedding_net(batch_y[:1])`` to infer an output size. When the
model holds a BatchNorm that sees one value per channel on one sample (``one_sample``), the
call raises "Expected more than 1 value per channel when training". ``single_sample_calls``
finds them: the model is built here (a BatchNorm1d, an ``nn.Sequential`` or a project class
holding such a layer, or what every caller passes for a parameter), nothing puts it in eval
mode before the call, and the call is not under ``no_grad`` (inference code: BN101's).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.batching.one_sample import Fragile, fragile_layers, library_fragile

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope

_FACTORIES = frozenset(f"torch.{name}" for name in ("randn", "rand", "zeros", "ones", "empty", "Tensor", "FloatTensor"))
# library calls that run the model they are given on the input they are given
_PROBES = frozenset({"hiddenlayer.build_graph", "thop.profile", "torchviz.make_dot"})
_MAX_DEPTH = 4


@dataclass(frozen=True)
class SingleSample:
    call: cst.Call  # where the model runs on one sample
    label: str  # the model
    layer: Fragile  # the BatchNorm that raises


def single_sample_calls(model: "FileModel") -> Iterator[SingleSample]:
    fragile = fragile_layers(model)
    bare = [layer for layer in model.layer_calls if layer.spec.name in ("BatchNorm1d", "LazyBatchNorm1d")]
    if not fragile and not bare and not any(library_fragile(model, site.node) for site in model.calls):
        return
    for site in model.calls:
        call = site.node
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        qn = model.qualname(call.func) or ""
        if qn in _PROBES or (isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_graph"):
            if len(positional) < 2:
                continue
            runs, given = positional[0], positional[1]
        elif isinstance(call.func, (cst.Name, cst.Attribute)) and positional and qn not in _FACTORIES:
            runs, given = call.func, positional[0]
        else:
            continue
        rank = _batch_of_one(model, given, site.scope, 0)
        if rank is None or _under_no_grad(model, call):
            continue
        found = _holder(model, runs, site.scope, call, rank, fragile, 0)
        if found is not None:
            yield SingleSample(call, model.code(runs), found)


def _batch_of_one(model: "FileModel", expr: cst.BaseExpression, scope: "Scope", depth: int) -> int | None:
    """The rank of a tensor whose first dimension is 1 (0 when the rank is unknown), or None."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(expr, cst.Name):
        bound = model.bindings(expr.value, scope)
        if bound is None or len(bound[0]) != 1:
            return None
        return _batch_of_one(model, bound[0][0], bound[1], depth + 1)
    if isinstance(expr, cst.Call) and model.qualname(expr.func) in _FACTORIES and expr.args:
        sizes = [a.value for a in expr.args if a.keyword is None]
        if len(sizes) == 1 and isinstance(sizes[0], (cst.List, cst.Tuple)):
            sizes = [e.value for e in sizes[0].elements]
        if sizes and model.value(sizes[0], scope) == 1 and all(model.value(s, scope) is not None for s in sizes):
            return len(sizes)
        return None
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Slice):
        part = expr.slice[0].slice  # `x[:1]`, `x[0:1]`
        lower = model.value(part.lower, scope) if part.lower is not None else 0
        if part.step is None and lower == 0 and part.upper is not None and model.value(part.upper, scope) == 1:
            return 0
    return None


def _holder(model: "FileModel", expr: cst.BaseExpression, scope: "Scope", call: cst.Call, rank: int,
            fragile: list[Fragile], depth: int) -> Fragile | None:
    """The fragile BatchNorm inside the model ``expr`` (in training mode at ``call``), or None."""
    from bn_lint.semantic.file.records import param_of
    from bn_lint.semantic.evaluators.call_binding import callers

    if depth > _MAX_DEPTH or not isinstance(expr, cst.Name) or _put_in_eval(model, expr.value, call):
        return None
    bound = model.bindings(expr.value, scope)
    if bound is None:
        found = param_of(expr.value, scope)
        function = found[1] if found is not None else None
        if function is None or model.functions.get(function.name.value) is not function:
            return None
        for site, args in callers(model, function) or ():
            if expr.value in args:
                held = _holder(model, args.values[expr.value], args.scope_of(expr.value, site.scope), site.node,
                               rank, fragile, depth + 1)
                if held is not None:
                    return held
        return None
    if len(bound[0]) != 1 or not isinstance(bound[0][0], cst.Call):
        return None
    built = bound[0][0]
    layer = model.layer_call(built, bound[1])
    if layer is not None and layer.spec.name in ("BatchNorm1d", "LazyBatchNorm1d"):
        return Fragile(built, f"{layer.spec.name} on (N, C) features") if rank == 2 else None
    library = library_fragile(model, built)
    if library is not None:
        return library
    within = _definition(model, built, bound[1])
    if within is None:
        return None
    return next((f for f in fragile if f.node is within or any(a is within for a in model.ancestors(f.node))), None)


def _definition(model: "FileModel", built: cst.Call, scope: "Scope") -> cst.CSTNode | None:
    """The code that builds the model: the ``nn.Sequential(...)`` call, or the project class it instantiates."""
    qn = model.qualname(built.func)
    if qn in ("torch.nn.Sequential", "torch.nn.modules.container.Sequential"):
        return built
    func = built.func
    if isinstance(func, cst.Name) and func.value in model.classes and model.binding(func.value, scope) is None:
        return model.classes[func.value].node
    return None


def _put_in_eval(model: "FileModel", name: str, call: cst.Call) -> bool:
    """``name.eval()`` / ``name.train(False)`` anywhere before the call."""
    at = model.order(call)
    for site in model.calls:
        func = site.node.func
        if isinstance(func, cst.Attribute) and model.code(func.value) == name and model.order(site.node) < at:
            if func.attr.value == "eval" or func.attr.value == "train" and site.node.args \
                    and model.value(site.node.args[0].value, site.scope) is False:
                return True
    return False


def _under_no_grad(model: "FileModel", node: cst.CSTNode) -> bool:
    for ancestor in model.ancestors(node):
        if isinstance(ancestor, cst.With):
            for item in ancestor.items:
                expr = item.item.func if isinstance(item.item, cst.Call) else item.item
                if model.qualname(expr) in ("torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad"):
                    return True
    return False
