"""Project functions that load trained weights into a module they are given (RULES.md, BN101: a model given
trained weights by "a project helper that loads them"): ``load_existing_model(model, path)`` whose body calls
``model.load_state_dict(...)``, or hands the module on to such a function, in this file or another. One answer
per function, worked out once (a function that calls itself starts from "loads into none")."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind, positional_names
from bn_lint.semantic.modes.known_calls import loads_own_weights
from bn_lint.semantic.project.definitions import element_builder, imported_name

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


class WeightLoaders:
    """Which parameters each function of a file loads trained weights into."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model
        self._loaded: dict[int, frozenset[str]] = {}

    def loaded(self, function: cst.FunctionDef) -> frozenset[str]:
        """The parameters of ``function`` it loads trained weights into, itself or through the functions it calls."""
        key = id(function)
        if key in self._loaded:
            return self._loaded[key]
        self._loaded[key] = frozenset()
        model = self.model
        params = {p.name.value for p in (*function.params.posonly_params, *function.params.params,
                                         *function.params.kwonly_params)}
        found: set[str] = set()
        for call in model.nodes_of(function, cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in params:
                if loads_own_weights(func.attr.value):  # `model.load_state_dict(torch.load(path))`
                    found.add(func.value.value)
                continue
            found |= {name for name in _names_given(model, call, model.scope_of(call)) if name in params}
        self._loaded[key] = frozenset(found)
        return self._loaded[key]


def loads_weights_into(model: "FileModel", call: cst.Call, key: str) -> bool:
    """Whether ``call`` runs a project function that loads trained weights into the module ``key`` names."""
    if not any(isinstance(arg.value, cst.Name) and arg.value.value == key for arg in call.args if not arg.star):
        return False
    return key in _names_given(model, call, model.scope_of(call))


def gives_weights_by_helper(model: "FileModel", call: cst.Call, scope: "Scope | None") -> bool:
    """Whether ``call``, a statement of its own (``load_existing_model(model, path)``), runs a project function
    that loads trained weights into a module it is given."""
    return isinstance(model.parent(call), cst.Expr) and bool(_names_given(model, call, scope))


def _names_given(model: "FileModel", call: cst.Call, scope: "Scope | None") -> set[str]:
    """The names ``call`` passes to parameters its project function loads trained weights into."""
    if not any(isinstance(arg.value, cst.Name) for arg in call.args if not arg.star) \
            or not isinstance(call.func, (cst.Name, cst.Attribute)):
        return set()
    found = _project_function(model, call.func, scope)
    if found is None:
        return set()
    owner, function = found
    loaded = owner.analysis(WeightLoaders).loaded(function)
    if not loaded:
        return set()
    skip = 1 if isinstance(call.func, cst.Attribute) and positional_names(function)[:1] in (("self",), ("cls",)) else 0
    bound = bind(call, positional_names(function, skip))
    return {value.value for name, value in bound.values.items() if name in loaded and isinstance(value, cst.Name)}


def _project_function(model: "FileModel", func: cst.BaseExpression,
                      scope: "Scope | None") -> tuple["FileModel", cst.FunctionDef] | None:
    """The function ``func`` calls: of this file (a method of the enclosing class for ``self.load(...)``), or of a
    project file whose text mentions loading (no other file is parsed for the question)."""
    if isinstance(func, cst.Name) and func.value in model.functions:
        return element_builder(model, func, scope)
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
        info = model.enclosing_class(scope) if scope is not None else None
        method = info.methods.get(func.attr.value) if info is not None else None
        return (model, method) if method is not None else None
    dotted = imported_name(model, func)
    where = model.imported_path(dotted, "def") if dotted else None
    if where is None or not any(model.project.mentions(where[0], word) for word in ("load", "restore")):
        return None
    return element_builder(model, func, scope)
