"""Registries of model builders filled by decorators (``@register``, ``@MODELS.register("name")``):
the functions and classes of the project they hold."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.repository_search import files_mentioning
from bn_lint.semantic.project.definitions import project_class

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel


def registered(model: "FileModel", registry: str, value: cst.BaseExpression) -> list[tuple["FileModel", str]] | None:
    """What a registry filled by decorators holds: ``REG = {}`` with ``def register(fn): REG[fn.__name__] =
    fn`` (``@register``), or ``REG = Registry("model")`` of a project class with a ``register`` method
    (``@REG.register("name")``): the top-level functions and classes so decorated in the files of its
    package, as (file, name). None when something else may fill it, or when too many files do."""
    if model.project is None:
        return None
    key = (model.path, registry)
    memo = model.project.registries
    if key not in memo:
        memo[key] = _find_registered(model, registry, value)
    return memo[key]


def _find_registered(model: "FileModel", registry: str, value: cst.BaseExpression) -> list[tuple["FileModel", str]] | None:
    registrars: set[str] = set()
    if isinstance(value, cst.Dict) and not value.elements or (
            isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict" and not value.args):
        for function in model.functions.values():
            for node in model.nodes_of(function, cst.Assign):
                if any(isinstance(t.target, cst.Subscript) and isinstance(t.target.value, cst.Name)
                       and t.target.value.value == registry for t in node.targets):
                    registrars.add(function.name.value)
        outside = [node for node in model.nodes_of(model.module, cst.Assign, cst.Call)
                   if not any(isinstance(a, cst.FunctionDef) and a.name.value in registrars for a in model.ancestors(node))
                   and _fills(node, registry)]
        if not registrars or outside:
            return None
        marks = registrars
    elif isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        found = project_class(model, value.func)
        if found is None or "register" not in found[1].methods:
            return None
        marks = {"register"}
    else:
        return None
    folder = os.path.dirname(os.path.abspath(model.path))
    package = os.path.isfile(os.path.join(folder, "__init__.py"))
    while package and os.path.isfile(os.path.join(os.path.dirname(folder), "__init__.py")):
        folder = os.path.dirname(folder)  # the top package: entries may sit in any of its modules
    files = {os.path.abspath(model.path)}
    for mark in sorted(marks):  # (a script's registry: the scripts beside it)
        files.update(files_mentioning(model.project, model.path, folder, mark if registrars else f"{registry}.{mark}",
                                                    recursive=package))
    if len(files) > _MAX_REGISTRY_FILES:
        return None
    entries: list[tuple[FileModel, str]] = []
    for path in sorted(files):
        other = model.project.model(path) if path != os.path.abspath(model.path) else model
        if other is None:
            continue
        for node in other.module.body:
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and any(
                    _registers(d.decorator, registry, registrars) for d in node.decorators):
                entries.append((other, node.name.value))
    return entries or None


_MAX_REGISTRY_FILES = 16  # (a model zoo registers hundreds: what each builds is not worked out)


def _fills(node: cst.CSTNode, registry: str) -> bool:
    """``REG[k] = v`` or ``REG.update(...)`` / ``REG.setdefault(...)``."""
    if isinstance(node, cst.Assign):
        return any(isinstance(t.target, cst.Subscript) and isinstance(t.target.value, cst.Name)
                   and t.target.value.value == registry for t in node.targets)
    func = node.func if isinstance(node, cst.Call) else None
    return (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == registry
            and func.attr.value in ("update", "setdefault", "__setitem__"))


def _registers(decorator: cst.BaseExpression, registry: str, registrars: set[str]) -> bool:
    """``@register``, ``@pkg.register``, ``@register("name")``, ``@REG.register`` or ``@REG.register("name")``."""
    func = decorator.func if isinstance(decorator, cst.Call) else decorator
    if registrars:
        return (isinstance(func, cst.Name) and func.value in registrars) or (
            isinstance(func, cst.Attribute) and func.attr.value in registrars)
    if not (isinstance(func, cst.Attribute) and func.attr.value == "register"):
        return False
    holder = func.value
    return (isinstance(holder, cst.Name) and holder.value == registry) or (
        isinstance(holder, cst.Attribute) and holder.attr.value == registry)
