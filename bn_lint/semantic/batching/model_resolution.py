"""Which model an expression holds (``ModelResolution``, one per file): its kind (whether it holds
BatchNorm), whether it goes through DistributedDataParallel, and its label, following re-bindings
(``model = model.to(device)``), wrappers (DDP, ``torch.compile``), ``self.<attr>``, local builders and, for a
parameter, what the callers of its function pass."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.batching.facts import DDP, WRAPPERS, _SAME_MODEL_METHODS, _all_bindings, _refers_to
from bn_lint.semantic.file.records import param_of
from bn_lint.semantic.project.definitions import project_class
from bn_lint.semantic.evaluators.call_binding import given_values
from bn_lint.semantic.nn_modules.bearing import (
    ModelKind, class_kind, element_kind, model_kind, overrides_train, swaps_batchnorm,
)
from bn_lint.semantic.syntax.walk import returned_values
from bn_lint.semantic.syntax.followed import entered, node_key

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


class ModelResolution:
    """The models a file's expressions hold."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model

    def kind(self, expr: cst.BaseExpression, scope: "Scope | None", env: dict | None = None,
             following: frozenset = frozenset()) -> tuple[ModelKind, bool, str] | None:
        """(kind, through DDP, label) of a model expression, following wrappers and re-bindings."""
        model = self.model
        following = entered(following, node_key(model, "kind", expr, scope))
        if following is None:
            return None
        label = model.code(expr)
        if isinstance(expr, cst.Name):
            if env and expr.value in env and param_of(expr.value, scope) is not None:
                value, value_scope = env[expr.value]
                found = self.kind(value, value_scope, None, following)
                return (found[0], found[1], found[2] or label) if found else None
            if expr.value == "self":
                own = self._own_instance(scope)
                if own is not None:
                    return own
            values, value_scope = _all_bindings(expr.value, scope, model, expr)
            if not values:
                unpacked = model.unpacked(expr.value, scope)  # `model, tf = build_model()`
                kind = element_kind(model, *unpacked) if unpacked is not None else None
                if kind is None:
                    return self._passed_kind(expr.value, scope, following)
                return (kind, False, label)
            results = []
            for value in values:
                if swaps_batchnorm(model, value):
                    return None  # `net = strip_batchnorm(net)`
                if _refers_to(value, expr.value):
                    results.append((None, isinstance(value, cst.Call) and model.qualname(value.func) in DDP))
                    continue
                found = self.kind(value, value_scope, None, following)
                if found is None:
                    return None
                results.append((found[0], found[1]))
            kinds = {k for k, _ in results if k is not None}
            if len(kinds) != 1:
                return None
            return kinds.pop(), any(d for _, d in results), label or expr.value
        if isinstance(expr, cst.Attribute):
            if expr.attr.value == "module":
                return self.kind(expr.value, scope, env, following)
            if isinstance(expr.value, cst.Name) and expr.value.value == "self":
                info = model.enclosing_class(scope)
                values = info.attributes.get(expr.attr.value, []) if info else []
                if len(values) != 1:
                    return None
                found = self.kind(values[0][0], values[0][1], None, following)
                return (found[0], found[1], label) if found else None
            return self._part_kind(expr, scope, following)
        if isinstance(expr, cst.Call):
            qn = model.qualname(expr.func)
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in _SAME_MODEL_METHODS and qn is None:
                return self.kind(func.value, scope, env, following)
            if isinstance(func, cst.Name) and func.value in model.functions and model.binding(func.value, scope) is None:
                # a local builder: `def build_model(): return nn.Sequential(...)`
                function = model.functions[func.value]
                returns = [r for r in returned_values(function) if r is not None]
                inner = model.scopes.get(function)
                found = [self.kind(r, inner, None, following) for r in returns]
                if not found or any(f is None for f in found) or len({f[0] for f in found}) != 1:
                    return None
                return found[0][0], any(f[1] for f in found), label
            if qn in WRAPPERS and expr.args and not expr.args[0].keyword:
                found = self.kind(expr.args[0].value, scope, env, following)
                return (found[0], found[1] or qn in DDP, found[2]) if found else None
            if overrides_train(model, expr.func):
                return None  # the class sets its own layers' modes in train(): its BatchNorm may never train
            kind = model_kind(model, expr, scope)
            return (kind, False, label) if kind is not None else None
        return None

    def _part_kind(self, expr: cst.Attribute, scope: "Scope | None", following: frozenset) -> tuple[ModelKind, bool, str] | None:
        """``model.gating_net`` with ``model`` an instance of a project class: the kind of what the class's
        ``__init__`` stores on that attribute, when it stores one module there."""
        found = self._held_class(expr.value, scope, following)
        values = found[1].attributes.get(expr.attr.value, []) if found is not None else []
        if len(values) != 1:
            return None
        owner = found[0].analysis(ModelResolution)  # type: ignore[index]
        part = owner.kind(values[0][0], values[0][1], None, following)
        return (part[0], part[1], self.model.code(expr)) if part is not None else None

    def _held_class(self, expr: cst.BaseExpression, scope: "Scope | None", following: frozenset):
        """(file, class) of the project class instance ``expr`` holds: ``Net(...)``, a name bound once to it
        (through ``.to(device)`` and wrappers), ``self.<attr>`` stored once so."""
        model = self.model
        following = entered(following, node_key(model, "held_class", expr, scope))
        if following is None:
            return None
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in _SAME_MODEL_METHODS:
                return self._held_class(func.value, scope, following)
            if model.qualname(func) in WRAPPERS and expr.args and not expr.args[0].keyword:
                return self._held_class(expr.args[0].value, scope, following)
            return project_class(model, func)
        if isinstance(expr, cst.Name) and expr.value != "self":
            values, value_scope = _all_bindings(expr.value, scope, model, expr)
            built = [v for v in values if not _refers_to(v, expr.value)]
            return self._held_class(built[0], value_scope, following) if len(built) == 1 else None
        if isinstance(expr, cst.Attribute) and expr.attr.value == "module":
            return self._held_class(expr.value, scope, following)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            info = model.enclosing_class(scope)
            values = info.attributes.get(expr.attr.value, []) if info else []
            return self._held_class(values[0][0], values[0][1], following) if len(values) == 1 else None
        return None

    def _own_instance(self, scope: "Scope | None") -> tuple[ModelKind, bool, str] | None:
        """``self`` in a method of a module class of the file (``VAE.trainepoch`` running ``self(x)``): an
        instance of that class, of the class's kind; None when the class sets its layers' modes in ``train()``."""
        found = param_of("self", scope)
        function = found[1] if found is not None else None
        if function is None or not function.params.params or function.params.params[0] is not found[0]:
            return None
        if any(isinstance(d.decorator, cst.Name) and d.decorator.value in ("staticmethod", "classmethod")
               for d in function.decorators):
            return None
        info = self.model.enclosing_class(self.model.scopes.get(function))
        if info is None or info.node.body is None or function not in info.node.body.body:
            return None
        if overrides_train(self.model, cst.Name(info.name)):
            return None
        kind = class_kind(self.model, info)
        return (kind, False, "self") if kind is not None else None

    def _passed_kind(self, name: str, scope: "Scope | None", following: frozenset) -> tuple[ModelKind, bool, str] | None:
        """A parameter (``def pretrain(model, ...)``): the kind every call of the function in this file
        passes, when they agree."""
        found = param_of(name, scope)
        function = found[1] if found is not None else None
        if function is None or self.model.functions.get(function.name.value) is not function:
            return None
        results = set()
        for given in given_values(self.model, function, name) or ():
            if given.site is None or given.value is None or given.default:
                return None
            kind = self.kind(given.value, given.scope, None, following)
            if kind is None:
                return None
            results.add(kind[:2])
        if len(results) != 1:
            return None
        kind, ddp = results.pop()
        return kind, ddp, name
