"""A model in training mode run on a batch of one sample, outside any data loader.

Shape probes, FLOPs counts and repros do it: ``bn(torch.randn(1, 100))``,
``thop.profile(model, inputs=(torch.zeros(1, 3, 32, 32),))``, ``embedding_net(batch_y[:1])`` to infer
an output size. When the model holds a BatchNorm that sees one value per channel on one sample
(``one_sample``), the call raises "Expected more than 1 value per channel when training".
``single_sample_calls`` reads the runs of the mode flow (``ModeAnalysis.uses``: a model called, or
given to a library runner, ``knowledge/model_runners``), so a model built by a factory, held by an
object or given by the callers of any file is followed as every mode rule follows it: the model is in
training mode on a path the code shows, the input's first dimension is 1, and the call is not under
``no_grad`` (inference code: BN101's).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.batching.one_sample import (
    Fragile, fragile_layers, library_fragile, project_fragile, side_effect_fragile,
)
from bn_lint.semantic.knowledge.model_runners import TENSOR_FACTORIES, runner_arguments
from bn_lint.semantic.modes import TRAIN, ModeAnalysis
from bn_lint.semantic.modes.keys import _called_name
from bn_lint.semantic.nn_modules.bearing import ModelKind
from bn_lint.semantic.project.definitions import project_class

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope

_BARE = ("BatchNorm1d", "LazyBatchNorm1d")


@dataclass(frozen=True)
class SingleSample:
    call: cst.Call  # where the model runs on one sample
    label: str  # the model
    layer: Fragile  # the BatchNorm that raises
    layer_model: "FileModel"  # the file of that BatchNorm


def single_sample_calls(model: "FileModel") -> Iterator[SingleSample]:
    analysis = model.analysis(ModeAnalysis).run()
    for node, site in sorted(list(analysis.uses.items()), key=lambda item: analysis.order(item[0])):
        if not isinstance(node, cst.Call) or analysis.steps.under_no_grad(node) or _failure_handled(model, node):
            continue
        given = _input_of(model, node)
        rank = _batch_of_one(model, given, site.scope, set()) if given is not None else None
        if rank is None:
            continue
        facts = analysis.entry.resolved(site)
        if not analysis.kinds.shown_train(facts) or analysis.kinds.keeps_own_modes(facts) \
                or analysis.kinds.kind(site.key, facts, site.scope) not in (ModelKind.BN, ModelKind.MAYBE):
            continue
        found = _fragile_of(model, facts, rank)
        if found is not None:
            yield SingleSample(node, site.key, found[1], found[0])


_CATCHES_RAISE = frozenset({"RuntimeError", "Exception", "BaseException"})


def _failure_handled(model: "FileModel", node: cst.CSTNode) -> bool:
    """The call sits in a ``try`` whose handler catches the error it would raise (``except RuntimeError``,
    ``except Exception``, a bare ``except``): a probe whose failure the code expects (``writer.add_graph``
    wrapped for "could not write graph")."""
    child = node
    for ancestor in model.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            return False
        if isinstance(ancestor, cst.Try) and child is ancestor.body \
                and any(_catches(handler.type) for handler in ancestor.handlers):
            return True
        child = ancestor
    return False


def _catches(caught: cst.BaseExpression | None) -> bool:
    if caught is None:
        return True
    names = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
    return any(isinstance(n, cst.Name) and n.value in _CATCHES_RAISE for n in names)


def _input_of(model: "FileModel", call: cst.Call) -> cst.BaseExpression | None:
    """The tensor a run gives the model: a runner's input (the first of a tuple), else the first argument."""
    runner = runner_arguments(model.qualname(call.func), call)
    if runner is not None:
        given = runner[1]
        if isinstance(given, (cst.Tuple, cst.List)) and given.elements:
            given = given.elements[0].value
        return given
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    return positional[0] if positional else None


def _batch_of_one(model: "FileModel", expr: cst.BaseExpression, scope: "Scope", seen: set) -> int | None:
    """The rank of a tensor whose first dimension is 1 (0 when the rank is unknown), or None."""
    if isinstance(expr, cst.Name):
        bound = model.bindings(expr.value, scope)
        if bound is None or len(bound[0]) != 1 or id(bound[0][0]) in seen:
            return None
        return _batch_of_one(model, bound[0][0], bound[1], seen | {id(bound[0][0])})
    if isinstance(expr, cst.Call) and model.qualname(expr.func) in TENSOR_FACTORIES and expr.args:
        sizes = [a for a in expr.args if a.keyword is None]
        if len(sizes) == 1 and not sizes[0].star:
            return _leading_one(model, sizes[0].value, scope, seen)
        if sizes and not sizes[0].star and model.value(sizes[0].value, scope) == 1:
            return len(sizes) if not any(a.star for a in sizes) else 0
        return None
    if isinstance(expr, cst.Subscript) and isinstance(expr.slice[0].slice, cst.Slice):
        part = expr.slice[0].slice  # `x[:1]`, `x[0:1]`, `x[i:i + 1]`, `wavs[i:i + 1, :n]`
        lower = model.value(part.lower, scope) if part.lower is not None else 0
        if part.step is None and part.upper is not None and (
                lower == 0 and model.value(part.upper, scope) == 1 or _one_past(model, part.lower, part.upper, scope)):
            return 0
    return None


def _one_past(model: "FileModel", lower: cst.BaseExpression | None, upper: cst.BaseExpression, scope: "Scope") -> bool:
    """Whether ``upper`` is ``lower + 1`` (or ``1 + lower``): a slice of one row, ``x[i:i + 1]``."""
    if lower is None or not (isinstance(upper, cst.BinaryOperation) and isinstance(upper.operator, cst.Add)):
        return False
    return any(model.code(one) == model.code(lower) and model.value(other, scope) == 1
               for one, other in ((upper.left, upper.right), (upper.right, upper.left)))


def _leading_one(model: "FileModel", sizes: cst.BaseExpression, scope: "Scope", seen: set) -> int | None:
    """The rank of a size whose first entry is 1: ``(1, 300)``, ``[1, *shape]``, ``[1] + list(cfg['size'])``
    (0 when the rank is unknown), or None."""
    if isinstance(sizes, cst.Name):  # (every value it is bound to: `[1] + list(cfg["input_size"])` or `[1, 3, 224, 224]`)
        bound = model.bindings(sizes.value, scope)
        if bound is None or not bound[0] or any(id(value) in seen for value in bound[0]):
            return None
        return _one_rank({_leading_one(model, value, bound[1], seen | {id(value)}) for value in bound[0]})
    if isinstance(sizes, cst.IfExp):  # (both branches)
        return _one_rank({_leading_one(model, part, scope, seen) for part in (sizes.body, sizes.orelse)})
    if isinstance(sizes, cst.BinaryOperation) and isinstance(sizes.operator, cst.Add):
        return 0 if _leading_one(model, sizes.left, scope, seen) is not None else None
    if isinstance(sizes, (cst.List, cst.Tuple)) and sizes.elements:
        first = sizes.elements[0]
        if isinstance(first, cst.StarredElement) or model.value(first.value, scope) != 1:
            return None
        starred = any(isinstance(e, cst.StarredElement) for e in sizes.elements)
        return 0 if starred else len(sizes.elements)
    return None


def _one_rank(ranks: set) -> int | None:
    """The rank every one of several sizes has (0 when they differ); None when one has no leading 1."""
    return None if None in ranks else ranks.pop() if len(ranks) == 1 else 0


def _fragile_of(model: "FileModel", facts: frozenset, rank: int) -> tuple["FileModel", Fragile] | None:
    """The BatchNorm that sees one value per channel in the model the training-mode facts built: a bare
    BatchNorm1d on (N, C), a library model holding one, or a layer of the class or ``nn.Sequential`` built;
    for a model of unknown class (a factory, a registry, the callers' argument), one of the project files
    this file reaches."""
    unknown, builders = False, set()
    for fact in facts:
        if fact.mode != TRAIN:
            continue
        built = fact.node if isinstance(fact.node, cst.Call) and fact.why == "built" else None
        if built is None or model.parent(built) is None:  # (built in another file: of unknown class here)
            unknown, builders = True, None
            continue
        layer = model.layer_call(built, None)
        if layer is not None and layer.spec.name in _BARE:
            if rank == 2:
                return model, Fragile(built, f"{layer.spec.name} on (N, C) features")
            continue
        library = library_fragile(model, built)
        if library is not None:
            return model, library
        within = _within(model, built)
        if within is None:  # (`generate_model(50)`: what that builder reaches)
            unknown = True
            name = _called_name(built.func)
            builders = builders | {name} if builders is not None and name else None
            continue
        other, node = within
        found = next((f for f in fragile_layers(other) if f.node is node or node in other.ancestors(f.node)), None)
        if found is not None:
            return other, found
    if not unknown:
        return None
    found = project_fragile(model, builders)
    if found is None and builders:  # (`create_model(args.model)` of a module imported for its registrations)
        found = side_effect_fragile(model)
    return found


def _within(model: "FileModel", built: cst.Call) -> tuple["FileModel", cst.CSTNode] | None:
    """The code that builds the model: the ``nn.Sequential(...)`` call, or the project class it instantiates
    (of this file or another)."""
    if model.qualname(built.func) in ("torch.nn.Sequential", "torch.nn.modules.container.Sequential"):
        return model, built
    found = project_class(model, built.func)
    return (found[0], found[1].node) if found is not None else None
