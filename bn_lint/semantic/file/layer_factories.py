"""The layer classes a project function gives back (``norm_layer = get_norm_layer(norm_type='batch')``, whose
branches return ``partial(nn.BatchNorm2d, ...)`` or ``partial(nn.InstanceNorm2d, ...)``): one alternative per
return the call can reach, the branches its constant arguments decide left out."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.names import local_function
from bn_lint.semantic.syntax.constants import UNKNOWN, evaluate
from bn_lint.semantic.syntax.walk import returned_values

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.knowledge.layer_spec import LayerSpec
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.file.records import Scope

Layer = "tuple[LayerSpec, dict[str, cst.BaseExpression]] | None"


def returned_layers(model: "FileModel", call: cst.Call, scope: "Scope | None", following: frozenset) -> list | None:
    """What each return of the project function ``call`` runs gives back, as ``layer_class`` answers (None for a
    return that is no known layer class); None when ``call`` calls no project function or a return is not followed."""
    found = _function(model, call, scope)
    if found is None:
        return None
    owner, function = found
    given = _constant_arguments(model, call, scope, function)
    if given is None:
        return None
    fscope = owner.scopes.get(function)
    out: list = []
    for value in returned_values(function):
        if value is None or _dead(owner, value, function, given):
            continue
        if isinstance(value, cst.Name) and fscope is not None and value.value not in fscope.params:
            values = [v for v in fscope.bindings.get(value.value, []) if not _dead(owner, v, function, given)]
            if value.value in fscope.opaque:
                return None
            if value.value in fscope.functions:
                out.append(None)  # (`def norm_layer(x): return Identity()`: a callable that builds no norm layer)
            if not values and value.value not in fscope.functions:
                return None
            out.extend(owner.layer_class(v, fscope, following) for v in values)
        else:
            out.append(owner.layer_class(value, fscope, following))
    return out or None


def _function(model: "FileModel", call: cst.Call, scope: "Scope | None"):
    """(file model, function) of the project function ``call`` calls: of this file, or imported by name."""
    if isinstance(call.func, cst.Name):
        local = local_function(model, call.func.value, scope)
        if local is not None:
            return model, local
        if call.func.value not in model.imports or model.project is None:
            return None
        found = model.imported(model.imports[call.func.value], "def")
    elif isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name) \
            and call.func.value.value in model.imports and model.project is not None:
        found = model.imported(f"{model.imports[call.func.value.value]}.{call.func.attr.value}", "def")
    else:
        return None
    if found is None or found[1] not in found[0].functions:
        return None
    return found[0], found[0].functions[found[1]]


def _constant_arguments(model: "FileModel", call: cst.Call, scope: "Scope | None",
                        function: cst.FunctionDef) -> dict[str, object] | None:
    """Parameter -> the constant the call gives it (or its default), where one is known."""
    params = [*function.params.posonly_params, *function.params.params]
    if any(arg.star for arg in call.args) or len([a for a in call.args if a.keyword is None]) > len(params):
        return None
    out: dict[str, object] = {}
    for param in [*params, *function.params.kwonly_params]:
        if param.default is not None:
            value = evaluate(param.default, model, None)
            if value is not UNKNOWN:
                out[param.name.value] = value
    for index, arg in enumerate(call.args):
        name = arg.keyword.value if arg.keyword is not None else params[index].name.value
        value = evaluate(arg.value, model, scope)
        if value is UNKNOWN:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def _dead(model: "FileModel", node: cst.CSTNode, function: cst.FunctionDef, given: dict[str, object]) -> bool:
    """Whether ``node`` sits in a branch of ``function`` that a test on a parameter the call decides rules out
    (``if norm_type == 'batch':`` with ``norm_type='instance'``)."""
    child = node
    for ancestor in model.ancestors(node):
        if ancestor is function:
            return False
        if isinstance(ancestor, cst.If):
            outcome = _test(model, ancestor.test, given)
            if outcome is not None and (child is ancestor.body and not outcome
                                        or child is ancestor.orelse and outcome):
                return True
        child = ancestor
    return False


def _test(model: "FileModel", test: cst.BaseExpression, given: dict[str, object]) -> bool | None:
    """The outcome of ``param == literal`` / ``!=`` / ``in (...)`` / ``not in`` for a parameter the call decides."""
    if not (isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name) and len(test.comparisons) == 1
            and test.left.value in given):
        return None
    value, target = given[test.left.value], test.comparisons[0]
    operator, comparator = target.operator, target.comparator
    if isinstance(operator, (cst.Equal, cst.NotEqual)):
        literal = evaluate(comparator, model, None)
        return None if literal is UNKNOWN else (value == literal) == isinstance(operator, cst.Equal)
    if isinstance(operator, (cst.In, cst.NotIn)) and isinstance(comparator, (cst.Tuple, cst.List, cst.Set)):
        items = [evaluate(e.value, model, None) for e in comparator.elements if not isinstance(e, cst.StarredElement)]
        if UNKNOWN in items or len(items) != len(comparator.elements):
            return None
        return (value in items) == isinstance(operator, cst.In)
    return None
