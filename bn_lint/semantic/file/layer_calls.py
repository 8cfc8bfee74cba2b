"""The calls of a file that build a torch.nn layer (or another row of the layer tables), with their
arguments bound to the constructor's parameters; ``functools.partial`` presets followed.

Functions of the :class:`~.model.FileModel`, which has them as methods (``model.layer_call(call, scope)``).
"""
from __future__ import annotations

import re

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.knowledge import layers as layer_table
from bn_lint.semantic.file.layer_factories import returned_layers
from bn_lint.semantic.file.names import none_by_default, stored_once
from bn_lint.semantic.file.records import LayerCall
from bn_lint.semantic.syntax.followed import entered, node_key

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.knowledge.layer_spec import LayerSpec
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.file.records import Scope

_PARTIAL = frozenset({"functools.partial"})


def layer_class(
    model: "FileModel", expr: cst.BaseExpression, scope: Scope | None, following: frozenset = frozenset()
) -> tuple[LayerSpec, dict[str, cst.BaseExpression]] | None:
    """The torch.nn class ``expr`` refers to, with arguments preset by ``partial``."""
    following = entered(following, node_key(model, "layer_class", expr, scope))
    if following is None:
        return None
    spec = layer_table.lookup(model.qualname(expr))
    if spec is not None:
        return spec, {}
    if isinstance(expr, cst.Name):
        bound = model.binding(expr.value, scope)
        if bound is not None:
            return model.layer_class(bound[0], bound[1], following)
        if expr.value in model.imports:
            return _imported_layer_class(model, expr, following)
        return _one_known_alternative(model, expr.value, scope, following)
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
        stored = stored_once(model, expr, scope)  # `self.norm_layer(c)`, assigned once: `self.norm_layer = norm_layer`
        return model.layer_class(stored[0], stored[1], following) if stored is not None else None
    if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or) and none_by_default(model, expr.left, scope):
        return model.layer_class(expr.right, scope, following)  # `norm_layer or nn.BatchNorm2d`, its default None
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value in model.imports:
        return _imported_layer_class(model, expr, following)  # `layers.norm_layer`
    if isinstance(expr, cst.Call) and model.qualname(expr.func) not in _PARTIAL:
        returned = returned_layers(model, expr, scope, following)  # `get_norm_layer(norm_type='batch')`
        if returned and all(one is not None and one[0] is returned[0][0] for one in returned):
            return returned[0]
        return None
    if isinstance(expr, cst.Call) and model.qualname(expr.func) in _PARTIAL and expr.args:
        first = expr.args[0]
        if first.keyword is not None or first.star:
            return None
        inner = model.layer_class(first.value, scope, following)
        if inner is None:
            return None
        spec, preset = inner
        preset = dict(preset)
        for arg in expr.args[1:]:
            if arg.star:
                return None
            if arg.keyword is not None:
                preset[arg.keyword.value] = arg.value
            else:
                return None  # positional presets: rare, do not guess
        return spec, preset
    return None


def _imported_layer_class(model: "FileModel", expr: cst.BaseExpression,
                          following: frozenset) -> tuple[LayerSpec, dict[str, cst.BaseExpression]] | None:
    """The torch.nn class a name imported from another project file is bound to there (``norm_layer =
    partial(nn.BatchNorm2d, eps=1e-3)`` of ``layers.py``); its presets are that file's expressions."""
    dotted = model.qualname(expr)
    if dotted is None or dotted.split(".")[0] in ("torch", "torchvision", "timm", "numpy") or model.project is None:
        return None
    where = model.imported_path(dotted)
    if where is not None and "." not in where[1] and where[1].isascii() and not model.project.matches(
            where[0], rb"(?m)^" + re.escape(where[1]).encode() + rb"\s*=[^\n]*(?:partial|nn\.|Norm|Conv|Linear)"):
        return None  # (its line there binds no layer class nor a partial of one: known without parsing it)
    found = model.definition(dotted)
    return found[0].layer_class(found[1], found[2], following) if found is not None else None


def layer_call(model: "FileModel", call: cst.Call, scope: Scope | None) -> LayerCall | None:
    """If ``call`` builds a known torch.nn layer: its spec and bound arguments."""
    found = model.layer_class(call.func, scope)
    if found is None:
        return None
    spec, preset = found
    args: dict[str, cst.BaseExpression] = dict(preset)
    positional: set[str] = set()
    index = 0
    for arg in call.args:
        if arg.star:
            if arg.star == "**":
                continue
            index = len(spec.params) + 1  # unknown positions from here on
            continue
        if arg.keyword is not None:
            args[arg.keyword.value] = arg.value
            continue
        if index < len(spec.params):
            args[spec.params[index]] = arg.value
            positional.add(spec.params[index])
        index += 1
    return LayerCall(call, spec, args, frozenset(positional), preset, scope or model.module_scope)


def layer_calls(model: "FileModel") -> list[LayerCall]:
    """Every call in the file that builds a known torch.nn layer."""
    found = []
    for site in model.calls:
        layer = model.layer_call(site.node, site.scope)
        if layer is not None:
            found.append(layer)
    return found


def _one_known_alternative(model: "FileModel", name: str, scope: Scope | None,
                           following: frozenset) -> tuple[LayerSpec, dict[str, cst.BaseExpression]] | None:
    """The class a name bound several times stands for when every alternative the tables know is the
    same class (``try: from encoding.nn import SyncBatchNorm as Norm`` / ``except ImportError: Norm =
    nn.BatchNorm2d``): that class is what the name is on at least one path the code shows."""
    found = model.bindings(name, scope)
    if found is None or len(found[0]) < 2:
        return None
    values, where = found
    known = [k for k in (model.layer_class(v, where, following) for v in values) if k is not None]
    if not known or any(k[0].name != known[0][0].name or
                        {p: model.code(e) for p, e in k[1].items()} != {p: model.code(e) for p, e in known[0][1].items()}
                        for k in known[1:]):
        return None
    return known[0]


def may_be_batchnorm(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None") -> bool:
    """Whether ``expr`` (a call of a project function, or a name bound once to one) may give back a BatchNorm class:
    ``get_norm_layer(opt.norm)`` with the norm type the call leaves open (``layer_class`` says which one where the
    returns agree)."""
    if isinstance(expr, cst.Name):
        bound = model.binding(expr.value, scope)
        if bound is None:
            return False
        expr, scope = bound
    if not isinstance(expr, cst.Call) or model.qualname(expr.func) in _PARTIAL:
        return False
    returned = returned_layers(model, expr, scope, frozenset()) or []
    return any(one is not None and one[0].is_batchnorm for one in returned)
