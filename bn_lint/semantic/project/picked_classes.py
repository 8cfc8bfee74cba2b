"""A class the code picks at run time among the subclasses of a project base: a finder that returns the class of a
module's namespace that passes ``issubclass(cls, BaseModel)`` (``find_model_using_name(opt.model)``, over
``importlib.import_module(...).__dict__``). Which subclass depends on an option; each one the project defines is a
visible path (RULES.md: "a bug on one visible path is a bug")."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.syntax.walk import returned_values, walk
from .definitions import element_builder, project_class
from .overrides import subclasses

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope

_MAX_CLASSES = 24  # (subclasses taken as the alternatives of one pick: as many as the files looked through)


def picked_classes(model: "FileModel", value: cst.BaseExpression | None,
                   scope: "Scope | None") -> list[tuple["FileModel", "ClassInfo"]]:
    """For ``cls(opt)`` with ``cls = find_model_using_name(name)`` (or the finder's call itself): the project's
    subclasses of the base the finder checks, in the order the package shows them; [] for any other value."""
    if not isinstance(value, cst.Call):
        return []
    picked = value.func
    if isinstance(picked, cst.Name):
        bound = model.binding(picked.value, scope)
        if bound is None or not isinstance(bound[0], cst.Call):
            return []
        picked, scope = bound[0], bound[1]
    if not isinstance(picked, cst.Call):
        return []
    finder = element_builder(model, picked.func, scope)
    if finder is None:
        return []
    owner, function = finder
    cache = owner.__dict__.setdefault("_picked_base_cache", {})
    if function not in cache:
        cache[function] = _checked_base(owner, function)
    base = cache[function]
    if base is None:
        return []
    known = base[0].__dict__.setdefault("_descendants_cache", {})
    if id(base[1].node) not in known:
        known[id(base[1].node)] = (base[1].node, _descendants(*base))  # (the node kept: its id stays its own)
    return list(known[id(base[1].node)][1])


def _checked_base(model: "FileModel", function: cst.FunctionDef) -> tuple["FileModel", "ClassInfo"] | None:
    """The base class of ``issubclass(cls, Base)`` that guards every non-None value ``function`` returns: the loop
    variable, or a name bound only to it (and to None)."""
    scope = model.scopes.get(function)
    returns = [v for v in returned_values(function) if v is not None]
    if scope is None or not returns:
        return None
    checks = [node for node in walk(function.body) if isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
              and node.func.value == "issubclass" and len(node.args) == 2 and isinstance(node.args[0].value, cst.Name)]
    variables = {check.args[0].value.value: check.args[1].value for check in checks}
    if not variables:
        return None
    bases: dict[str, cst.BaseExpression] = {}
    for value in returns:
        if not isinstance(value, cst.Name):
            return None
        bound = [value] if value.value in variables else [
            v for v in scope.bindings.get(value.value, []) if not (isinstance(v, cst.Name) and v.value == "None")]
        if not bound or not all(isinstance(v, cst.Name) and v.value in variables for v in bound):
            return None
        for v in bound:
            bases[model.code(variables[v.value])] = variables[v.value]
    if len(bases) != 1:
        return None
    return project_class(model, next(iter(bases.values())))


def _descendants(model: "FileModel", info: "ClassInfo") -> list[tuple["FileModel", "ClassInfo"]]:
    """The subclasses of ``info`` the package shows, and theirs, breadth first."""
    out: list[tuple["FileModel", "ClassInfo"]] = []
    seen = {id(info.node)}
    queue = [(model, info)]
    while queue and len(out) < _MAX_CLASSES:
        owner, current = queue.pop(0)
        for found in subclasses(owner, current):
            if id(found[1].node) not in seen:
                seen.add(id(found[1].node))
                out.append(found)
                queue.append(found)
    return out[:_MAX_CLASSES]
