"""The mode of a module-level model of another project file, read through an import (``from models import
models_list`` ... ``deepcopy(models_list[name])``): the mode that file's module-level code leaves it in, when no
function of that file sets its mode, loads into it or rebinds it (its state at rest, RULES.md "Modes": a module
built at import is in training mode). A subscript by a variable stands for every entry: their modes joined."""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.project_imports import imported_path
from bn_lint.semantic.syntax.followed import entered
from .keys import key_of, key_root
from .state import Fact, _lookup

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from .analysis import ModeAnalysis

_HOPS = frozenset()


def imported_facts(analysis: "ModeAnalysis", expr: cst.BaseExpression, scope) -> frozenset | None:
    """The facts of ``expr`` (``models_list['cnn']``, ``models_list[name]``, ``net``) whose root is a name this
    file imports from a project file that binds it at module level; None when not such a model."""
    model = analysis.model
    any_entry = None
    key = key_of(expr)
    if key is None and isinstance(expr, cst.Subscript) and len(expr.slice) == 1 \
            and isinstance(expr.slice[0].slice, cst.Index):
        key, any_entry = key_of(expr.value), expr  # (`models_list[data["name"]]`: any of its entries)
    if key is None:
        return None
    root = key_root(key)
    if root not in model.imports or model.bindings(root, scope) is not None:
        return None  # (not imported, or bound in this file too)
    found = _defining_file(model, model.imports[root])
    if found is None:
        return None
    other, name = found
    if not _at_rest(other, name):
        return None
    state = other.analysis(type(analysis)).module_state()  # (the other file's own analysis)
    if not state:
        return None
    inner = name + key[len(root):]
    if any_entry is not None:
        entries = [facts for k, facts in state.items() if k.startswith(inner + "[") and "." not in k[len(inner):]]
        facts = frozenset().union(*entries) if entries else None
    else:
        facts = _lookup(state, inner) if inner in state or any(k.startswith(inner + "[") for k in state) else None
    if not facts or any(f.node is None for f in facts):
        return None
    where = os.path.basename(other.path)
    return frozenset(Fact(f.mode, expr, f.why, f"`{name}` of {where} ({f.where.format(line=other.line_of(f.node))})",
                          f.kind) for f in facts)


def _defining_file(model: "FileModel", dotted: str, following: frozenset = _HOPS) -> tuple["FileModel", str] | None:
    """The project file that binds ``dotted``'s name at module level by an assignment, through the packages'
    ``__init__`` re-exports (``from .config import models_list``); a file is parsed only when its text assigns the
    name at the start of a line, or (a package's ``__init__``) mentions it."""
    following = entered(following, dotted)
    where = imported_path(model, dotted) if following is not None else None
    project = model.project
    if where is None or project is None:
        return None
    path, name = where
    if not name.isidentifier():
        return None
    if project.matches(path, rb"(?m)^" + re.escape(name.encode()) + rb"[ \t]*(?::[^=\n]*)?=(?!=)"):
        other = project.model(path)
        return (other, name) if other is not None and other is not model else None
    if not path.endswith("__init__.py") or not project.mentions(path, name):
        return None
    package = project.model(path)
    dotted = package.imports.get(name) if package is not None else None
    return _defining_file(package, dotted, following) if dotted is not None else None


def _at_rest(other: "FileModel", name: str) -> bool:
    """Whether no function of ``other`` sets the mode of ``name`` (or of its entries), loads weights into it,
    rebinds it or passes it on: the mode module-level code leaves it in holds whenever it is read."""
    if len(other.module_scope.bindings.get(name, ())) != 1:
        return False
    for node in other.scopes:
        if not isinstance(node, cst.FunctionDef):
            continue
        text = other.code(node)
        if re.search(rf"(?<![\w.]){re.escape(name)}\b", text):
            return False
    return True
