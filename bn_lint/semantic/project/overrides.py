"""Dispatch on ``self`` to a subclass: a method a class leaves abstract (``raise NotImplementedError``, ``pass``,
``...``) runs, on ``self``, the override a subclass defines (the template-method pattern: ``Classifier.score``
calls ``self.predict_proba``, which ``EndModel(Classifier)`` defines). Subclasses are looked for in the class's
file, then in the files under the folder its top package sits in whose class statements name it; the first that overrides the method, in
that order, is one visible path."""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.repository_search import files_mentioning
from .definitions import project_class

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel

_MAX_FILES = 24  # (files of the package naming the class that are parsed for its subclasses)


def abstract(func: cst.FunctionDef) -> bool:
    """Whether ``func``'s body does nothing but raise ``NotImplementedError``, ``pass`` or ``...`` (after a
    docstring): a method left for subclasses to define."""
    body = func.body.body if isinstance(func.body, cst.IndentedBlock) else [func.body]
    statements = [s for s in body if not (isinstance(s, cst.SimpleStatementLine) and len(s.body) == 1 and isinstance(
        s.body[0], cst.Expr) and isinstance(s.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))]
    if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine) or len(statements[0].body) != 1:
        return False
    only = statements[0].body[0]
    if isinstance(only, cst.Pass) or isinstance(only, cst.Expr) and isinstance(only.value, cst.Ellipsis):
        return True
    if isinstance(only, cst.Raise) and only.exc is not None:
        raised = only.exc.func if isinstance(only.exc, cst.Call) else only.exc
        return isinstance(raised, cst.Name) and raised.value == "NotImplementedError"
    return False


def override(model: "FileModel", info: "ClassInfo", name: str) -> "tuple[FileModel, ClassInfo, cst.FunctionDef] | None":
    """The method ``name`` of the first subclass of ``info`` (of ``model``'s file) that defines it, with its file's
    model and class; None when no subclass the package shows does."""
    return _override(model, info, name, set())


def _override(model, info, name, seen):
    """(subclasses of subclasses, however deep: each class is looked through once)"""
    if id(info.node) in seen:
        return None
    seen.add(id(info.node))
    found = list(subclasses(model, info))
    for owner, sub in found:
        if name in sub.methods and not abstract(sub.methods[name]):
            return owner, sub, sub.methods[name]
    for owner, sub in found:
        deeper = _override(owner, sub, name, seen)
        if deeper is not None:
            return deeper
    return None


def subclasses(model: "FileModel", info: "ClassInfo"):
    """The classes of this file, then of the package's files that name ``info``, whose bases include it."""
    for other in [model, *_package_files(model, info.name)]:
        for candidate in other.classes.values():
            if candidate is info:
                continue
            for base in candidate.bases:
                found = project_class(other, base) if isinstance(base, (cst.Name, cst.Attribute)) else None
                if found is not None and found[1] is info:
                    yield other, candidate
                    break


def _subclass_pattern(name: str) -> bytes:
    """A class statement naming ``name`` among its bases (``class EndModel(Classifier):``, ``(base.Classifier)``)."""
    return rb"class\s+\w+\s*\([^)]*\b" + re.escape(name).encode() + rb"\b"


def _package_files(model: "FileModel", name: str) -> list["FileModel"]:
    if model.project is None or not os.path.isfile(model.path):
        return []
    folder = os.path.dirname(os.path.abspath(model.path))
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder = os.path.dirname(folder)  # (the folder the top package sits in: its sibling packages too)
    paths = [path for path in files_mentioning(model.project, model.path, folder, name)
             if model.project.matches(path, _subclass_pattern(name))][:_MAX_FILES]
    found = []
    for path in paths:
        other = model.project.model(path)
        if other is not None and other is not model:
            found.append(other)
    return found
