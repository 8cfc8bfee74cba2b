"""A class taken from a module of a project package picked by name at run time (the plugin idiom):
``importlib.import_module("models." + model).__getattribute__("MainModel")``, ``getattr(import_module(f"models.{name}"),
"MainModel")``, ``import_module("nets." + arch).Net``. Which module depends on an option; each module of the package
that defines the class is a visible path (RULES.md: "a bug on one visible path is a bug")."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.repository_search import files_mentioning

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope

_IMPORTERS = frozenset({"importlib.import_module"})
_MAX_MODULES = 24  # (modules of the package read for the class)


def plugin_classes(model: "FileModel", func: cst.BaseExpression, scope: "Scope | None") -> list[tuple["FileModel", "ClassInfo"]]:
    """The classes ``func`` (a construction's callee, or a name bound once to one) may be: the class of that name in
    each module of the package the import names by a constant prefix; [] for any other callee."""
    if "import_module" not in model.source:
        return []
    if isinstance(func, cst.Name):
        bound = model.binding(func.value, scope)
        if bound is None:
            return []
        func, scope = bound
    picked = _picked(model, func)
    if picked is None or model.project is None:
        return []
    package, name = picked
    folder = _package_folder(model, package)
    if folder is None:
        return []
    found = []
    for path in files_mentioning(model.project, model.path, folder, name, recursive=False)[:_MAX_MODULES]:
        other = model.project.model(path)
        if other is not None and name in other.classes:
            found.append((other, other.classes[name]))
    return found


def _picked(model: "FileModel", func: cst.BaseExpression) -> tuple[str, str] | None:
    """(package, class name) for ``import_module("pkg." + x).Cls`` and its ``getattr`` / ``__getattribute__`` forms."""
    module, name = None, None
    if isinstance(func, cst.Attribute):
        module, name = func.value, func.attr.value
    elif isinstance(func, cst.Call) and len(func.args) in (1, 2):
        words = [arg.value for arg in func.args]
        if isinstance(func.func, cst.Attribute) and func.func.attr.value == "__getattribute__" and len(words) == 1:
            module, name = func.func.value, _string(words[0])
        elif isinstance(func.func, cst.Name) and func.func.value == "getattr" and len(words) == 2:
            module, name = words[0], _string(words[1])
    if not (isinstance(module, cst.Call) and module.args and model.qualname(module.func) in _IMPORTERS) or not name:
        return None
    package = _constant_prefix(module.args[0].value)
    return (package, name) if package else None


def _constant_prefix(value: cst.BaseExpression) -> str | None:
    """``"models." + model`` / ``f"models.{model}"`` -> "models": the package a module name picked by name lies in."""
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        prefix = _string(value.left)
    elif isinstance(value, cst.FormattedString) and value.parts and isinstance(value.parts[0], cst.FormattedStringText):
        prefix = value.parts[0].value
    else:
        return None
    if not prefix or not prefix.endswith(".") or not all(part.isidentifier() for part in prefix[:-1].split(".")):
        return None
    return prefix[:-1]


def _string(value: cst.BaseExpression) -> str | None:
    return value.evaluated_value if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str) \
        else None


def _package_folder(model: "FileModel", package: str) -> str | None:
    """The folder of ``package``: beside the file, or at the repository's root (a namespace package too)."""
    parts = package.split(".")
    for base in (os.path.dirname(os.path.abspath(model.path)), str(model.project.root_for(model.path))):
        folder = os.path.join(base, *parts)
        if os.path.isdir(folder):
            return folder
    return None
