"""Folders a file puts on ``sys.path`` before it imports (``sys.path.append(os.path.join(os.path.dirname(
__file__), "..", "model"))``, ``sys.path.insert(0, "src")``): where its plain imports are looked for too.

Read from the file's own calls; a folder whose expression is not a path made of ``__file__``, string
literals and the ``os.path`` / ``pathlib`` functions below is left out (its imports are not followed).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.syntax.followed import entered, node_key

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.file.records import Scope

_ADDERS = frozenset({"sys.path.append", "sys.path.insert", "sys.path.extend"})
_SAME = frozenset({"os.path.abspath", "os.path.realpath", "os.path.normpath", "str", "os.fspath",
                   "pathlib.Path", "Path", "os.path.expanduser"})


def search_folders(model: "FileModel") -> list[str]:
    """The folders ``model``'s file adds to ``sys.path`` (absolute, existing), in the order written. A
    relative literal is taken from the file's folder and from the project root (where a script is run)."""
    if "sys.path" not in model.source and "path.insert" not in model.source and "path.append" not in model.source:
        return []
    folders: list[str] = []
    for site in model.calls:
        call = site.node
        if model.qualname(call.func) not in _ADDERS or not call.args:
            continue
        for path in _paths(model, call.args[-1].value, site.scope, frozenset()):
            for folder in _anchored(model, path):
                if folder not in folders and os.path.isdir(folder):
                    folders.append(folder)
    return folders


def _anchored(model: "FileModel", path: str) -> list[str]:
    if os.path.isabs(path):
        return [os.path.normpath(path)]
    here = os.path.dirname(os.path.abspath(model.path))
    bases = [here]
    if model.project is not None:
        bases.append(str(model.project.root_for(model.path)))
    return [os.path.normpath(os.path.join(base, path)) for base in dict.fromkeys(bases)]


def _paths(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None", following: frozenset) -> list[str]:
    """The paths ``expr`` may be (empty when unknown)."""
    following = entered(following, node_key(model, "paths", expr, scope))
    if following is None:
        return []
    if isinstance(expr, cst.SimpleString):
        text = expr.evaluated_value
        return [text] if isinstance(text, str) else []
    if isinstance(expr, cst.Name):
        if expr.value == "__file__":
            return [os.path.abspath(model.path)]
        bound = model.binding(expr.value, scope)
        return _paths(model, bound[0], bound[1], following) if bound is not None else []
    if isinstance(expr, (cst.List, cst.Tuple)):  # sys.path.extend([...])
        return [p for element in expr.elements for p in _paths(model, element.value, scope, following)]
    if isinstance(expr, cst.Attribute) and expr.attr.value == "parent":  # Path(__file__).parent
        return [os.path.dirname(p) for p in _paths(model, expr.value, scope, following)]
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):  # Path(...) / "model"
        right = _paths(model, expr.right, scope, following)
        return [os.path.join(a, b) for a in _paths(model, expr.left, scope, following) for b in right][:4]
    if not isinstance(expr, cst.Call):
        return []
    name = model.qualname(expr.func) or (expr.func.value if isinstance(expr.func, cst.Name) else None)
    if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("resolve", "absolute") and not expr.args:
        return [os.path.abspath(p) for p in _paths(model, expr.func.value, scope, following)]
    args = [arg.value for arg in expr.args if arg.keyword is None and not arg.star]
    if name in _SAME and len(args) == 1:
        return [os.path.abspath(p) if name.endswith(("abspath", "realpath")) else p
                for p in _paths(model, args[0], scope, following)]
    if name == "os.path.dirname" and len(args) == 1:
        return [os.path.dirname(p) for p in _paths(model, args[0], scope, following)]
    if name == "os.path.join" and args:
        found = [""]
        for arg in args:
            parts = _paths(model, arg, scope, following)
            if not parts:
                return []
            found = [os.path.join(a, b) for a in found for b in parts][:4]
        return found
    return []
