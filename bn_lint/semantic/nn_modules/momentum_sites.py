"""Where a BatchNorm's momentum is set other than by a plain keyword of its constructor.

- ``nn.BatchNorm2d(c, **BN_KWARGS)`` with ``BN_KWARGS = dict(momentum=0.99, eps=1e-3)`` (or a dict
  display): the bundle's ``momentum`` entry; for a ``**norm_kwargs`` parameter, the entry of each
  bundle a call of its function gives it;
- ``m.momentum = value`` on a BatchNorm after construction: ``m`` a BatchNorm layer, or a module
  the assignment is guarded for (``if isinstance(m, nn.BatchNorm2d):``, ``'BatchNorm' in classname``);
- ``momentum=kwargs.get("bn_momentum", 0.99)``: the default of a settings lookup on a parameter.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bundle_choices
from bn_lint.semantic.file.names import stored_once
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


def bundled_momenta(model: "FileModel") -> Iterator[tuple[cst.Call, str, cst.BaseExpression, "Scope"]]:
    """(BatchNorm call, its class name, momentum expression, its scope) for ``**bundle`` arguments."""
    for layer in model.layer_calls:
        if not layer.spec.is_batchnorm or "momentum" in layer.args:
            continue
        for arg in layer.node.args:
            if arg.star != "**":
                continue
            for entries, where in bundle_choices(model, arg.value, layer.scope):  # each call's, for a parameter
                if "momentum" in entries:
                    yield layer.node, layer.spec.name, entries["momentum"], where


def assigned_momenta(model: "FileModel") -> Iterator[tuple[cst.CSTNode, str, cst.BaseExpression, "Scope"]]:
    """(assignment, "BatchNorm", value, scope) for ``m.momentum = value`` on a BatchNorm."""
    for target, value, scope in model.attribute_assignments:
        if target.attr.value != "momentum":
            continue
        holder = target.value
        name = _batchnorm_holder(model, holder, scope)
        if name is None:
            continue
        statement = next((a for a in model.ancestors(target) if isinstance(a, cst.Assign)), target)
        yield statement, name, value, scope


def _batchnorm_holder(model: "FileModel", holder: cst.BaseExpression, scope: "Scope") -> str | None:
    """The BatchNorm class ``holder`` is: a name or ``self.attr`` bound to a BatchNorm layer, or a name an
    enclosing ``if`` checks to be one."""
    if isinstance(holder, cst.Name):
        bound = model.binding(holder.value, scope)
        layer = model.layer_call(bound[0], bound[1]) if bound is not None and isinstance(bound[0], cst.Call) else None
        if layer is not None:
            return layer.spec.name if layer.spec.is_batchnorm else None
    elif isinstance(holder, cst.Attribute) and isinstance(holder.value, cst.Name) and holder.value.value == "self":
        stored = stored_once(model, holder, scope)
        if stored is not None and isinstance(stored[0], cst.Call):
            layer = model.layer_call(stored[0], stored[1])
            return layer.spec.name if layer is not None and layer.spec.is_batchnorm else None
        return None
    else:
        return None
    text = model.code(holder)
    for ancestor in model.ancestors(holder):
        if isinstance(ancestor, cst.If) and _tests_batchnorm(model, ancestor.test, text):
            return "BatchNorm"
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            break
    return None


def _tests_batchnorm(model: "FileModel", test: cst.BaseExpression, text: str) -> bool:
    """``isinstance(m, nn.BatchNorm2d)`` (or a tuple of BatchNorm classes), ``'BatchNorm' in classname`` /
    ``classname.find('BatchNorm') != -1`` where the class name is ``m``'s, possibly within ``and`` / ``or``."""
    for node in walk(test):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "isinstance" \
                and len(node.args) == 2 and model.code(node.args[0].value) == text:
            classes = node.args[1].value
            items = [e.value for e in classes.elements] if isinstance(classes, cst.Tuple) else [classes]
            if items and all("BatchNorm" in (model.qualname(item) or model.code(item)) for item in items):
                return True
    source = model.code(test)
    return "'BatchNorm'" in source or '"BatchNorm"' in source


def lookup_default(model: "FileModel", expr: cst.BaseExpression, scope: "Scope") -> cst.BaseExpression | None:
    """``kwargs.get("bn_momentum", 0.99)`` / ``cfg.get(...)`` on a parameter: the default it falls back to."""
    from bn_lint.semantic.file.records import param_of

    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get"
            and isinstance(expr.func.value, cst.Name) and len(expr.args) == 2 and not any(a.keyword for a in expr.args)):
        return None
    owner = expr.func.value.value
    if model.binding(owner, scope) is not None or param_of(owner, scope) is None:
        return None
    return expr.args[1].value
