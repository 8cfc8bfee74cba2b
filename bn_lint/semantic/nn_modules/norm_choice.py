"""Whether a call chooses a norm layer other than the BatchNorm a builder would use: a factory given
``norm_layer=``, a constructor or ``partial`` given a non-BatchNorm for a parameter that defaults to one,
and the class a ``norm_layer(width)`` call gets from its parameter's default."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind
from bn_lint.semantic.file.layer_calls import may_be_batchnorm
from bn_lint.semantic.file.names import stored_once
from bn_lint.semantic.knowledge.layers import FUNCTIONAL_BATCH_NORM
from bn_lint.semantic.nn_modules.kind import ModelKind
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


def _given_norm(model: "FileModel", call: cst.Call, scope: "Scope | None"):
    """For a ``norm_layer=`` / ``norm=`` argument of ``call``: (True, the layer class it names or None); (False,
    None) without one."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in ("norm_layer", "norm"):
            return True, model.layer_class(arg.value, scope)
    return False, None


def other_norm(model: "FileModel", call: cst.Call, scope: "Scope | None") -> bool:
    """``resnet50(norm_layer=gn)``: a factory given a norm layer that is not certainly a BatchNorm."""
    given, found = _given_norm(model, call, scope)
    return given and (found is None or not found[0].is_batchnorm)


def known_other_norm(model: "FileModel", call: cst.Call, scope: "Scope | None") -> bool:
    """``resnet18(norm_layer=nn.InstanceNorm2d)``: a factory given a known norm layer class that is no BatchNorm."""
    _, found = _given_norm(model, call, scope)
    return found is not None and not found[0].is_batchnorm


def replaces_default_norm(model: "FileModel", call: cst.Call, scope: "Scope | None") -> bool:
    """Whether ``call`` passes an argument for a constructor parameter of its class (of this file) that
    defaults to a BatchNorm class (``norm_layer=nn.BatchNorm1d``), and the argument is not certainly one (a BatchNorm
    class, or the caller's own parameter left at a BatchNorm default)."""
    return _replacing_norm(model, call, scope) is not None


def replaced_norm_kind(model: "FileModel", call: cst.Call, scope: "Scope | None"):
    """For a ``call`` that ``replaces_default_norm``: MAYBE where what it passes may still give back a BatchNorm
    (``norm_layer=get_norm_layer(opt.norm)``, the norm type left open), else None (another norm, or unknown)."""
    passed = _replacing_norm(model, call, scope)
    return ModelKind.MAYBE if passed is not None and may_be_batchnorm(model, passed, scope) else None


def _replacing_norm(model: "FileModel", call: cst.Call, scope: "Scope | None") -> cst.BaseExpression | None:
    """The argument of ``call`` that replaces a BatchNorm default (see ``replaces_default_norm``), or None."""
    info = model.classes.get(call.func.value) if isinstance(call.func, cst.Name) else None
    init = info.methods.get("__init__") if info is not None else None
    if init is None:
        return None
    params = [*init.params.posonly_params, *init.params.params][1:]
    given = bind(call, [p.name.value for p in params]).values
    for param in [*params, *init.params.kwonly_params]:
        if param.name.value in given and param.default is not None:
            found = model.layer_class(param.default, model.scopes.get(init))
            if found is not None and found[0].is_batchnorm:
                # (another BatchNorm class is still one; so is a parameter passed on that defaults to one:
                # `ResidualBlock(c, norm_layer)` in `def __init__(self, norm_layer=nn.BatchNorm2d)`)
                passed = model.layer_class(given[param.name.value], scope) \
                    or default_layer(model, given[param.name.value], call)
                if passed is None or not passed[0].is_batchnorm:
                    return given[param.name.value]
    return None


def preset_replaces_norm(model: "FileModel", call: cst.Call, function: cst.FunctionDef) -> bool:
    """Whether ``partial(function, norm=X)`` presets a parameter that defaults to a BatchNorm class with
    an ``X`` that is not certainly one."""
    defaults = {p.name.value: p.default for p in [*function.params.params, *function.params.kwonly_params]
                if p.default is not None}
    for arg in call.args[1:]:
        default = defaults.get(arg.keyword.value) if arg.keyword is not None else None
        found = model.layer_class(default, model.scopes.get(function)) if default is not None else None
        if found is not None and found[0].is_batchnorm:
            given = model.layer_class(arg.value, model.scope_of(call)) or default_layer(model, arg.value, call)
            if given is None or not given[0].is_batchnorm:
                return True
    return False


def default_layer(model: "FileModel", func: cst.BaseExpression, node: cst.CSTNode):
    """``norm_layer(width)`` where ``norm_layer`` is a parameter defaulting to a torch.nn class
    (``def __init__(self, norm_layer=nn.BatchNorm1d)``): that class, as ``layer_class`` gives it."""
    found = parameter_default(model, func, node)
    return model.layer_class(found[0], found[1]) if found is not None else None


def parameter_default(model: "FileModel", func: cst.BaseExpression, node: cst.CSTNode):
    """The default of the parameter a called name stands for, and the scope it is written in:
    ``block(64, 128)`` in ``def __init__(self, block=BasicBlock)``, or ``self.block(64, 128)`` in any
    method when ``__init__`` stores that parameter once (``self.block = block``); or None."""
    scope = model.scope_of(node)
    if type(func) is cst.Attribute:
        stored = stored_once(model, func, scope)
        if stored is None or type(stored[0]) is not cst.Name or stored[1] is None:
            return None
        func, scope = stored[0], stored[1]
    if not isinstance(func, cst.Name):
        return None
    while scope is not None and func.value not in scope.params:
        if func.value in scope.bindings or func.value in scope.opaque:
            return None
        scope = scope.parent
    param = scope.params[func.value] if scope is not None else None
    if param is None or param.default is None:
        return None
    return param.default, scope.parent


def functional_batchnorm(model: "FileModel", call: cst.Call) -> bool:
    """``F.batch_norm(x, self.stored_mean, self.stored_var, w, b, self.training, 0.1, eps)``: functional batch
    normalization run in the mode of the module whose code calls it (its ``training`` argument reads a
    ``.training`` flag), which makes that module a BatchNorm layer (``knowledge.layers.FUNCTIONAL_BATCH_NORM``)."""
    position = FUNCTIONAL_BATCH_NORM.get(model.qualname(call.func) or "")
    if position is None:
        return False
    given = next((arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == "training"), None)
    positional = [arg for arg in call.args if arg.keyword is None]
    if given is None and len(positional) > position and not any(arg.star for arg in positional[:position + 1]):
        given = positional[position].value
    return given is not None and any(isinstance(node, cst.Attribute) and node.attr.value == "training"
                                     for node in walk(given))
