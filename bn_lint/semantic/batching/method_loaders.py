"""Loaders a method of a project class returns (``def train_dataloader(self): return DataLoader(...)``) and
the loops that train on them: over ``dm.train_dataloader()`` (or a name bound to it) where ``dm`` is an
instance of the class, in this file or in a file beside it that builds the class (``dm = DataModule()``
in ``train.py``). A caller in another file counts only where its construction leaves every ``__init__``
parameter the loader's arguments read (through ``self.batch_size = batch_size``) at what this file's
evaluators see, and calls the method without arguments: the loader is then the one this file describes."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.repository_search import files_mentioning
from bn_lint.semantic.batching.facts import _init_params
from bn_lint.semantic.evaluators.call_binding import bind_in
from bn_lint.semantic.project.definitions import project_class
from bn_lint.semantic.syntax.walk import returned_values, walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope

_MAX_FILES = 8  # files beside this one read for callers


def returning_method(model: "FileModel", call: cst.Call, scope: "Scope") -> tuple["ClassInfo", cst.FunctionDef] | None:
    """The class and method whose every ``return`` gives the loader ``call`` builds (``return DataLoader(...)``,
    or ``loader = DataLoader(...)`` and ``return loader``); None for a loader built anywhere else."""
    method = scope.node
    info = model.enclosing_class(scope) if isinstance(method, cst.FunctionDef) else None
    if info is None or info.methods.get(method.name.value) is not method or method.name.value == "__init__":
        return None
    parent = model.parent(call)
    returns = returned_values(method)
    if isinstance(parent, cst.Return) and parent.value is call:
        return info, method
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
        name = parent.targets[0].target.value
        bound = model.binding(name, scope)
        if returns and bound is not None and bound[0] is call and all(
                isinstance(r, cst.Name) and r.value == name for r in returns):
            return info, method
    return None


def method_calls(caller: "FileModel", owner: "FileModel", info: "ClassInfo", method: cst.FunctionDef,
                 loader: cst.Call) -> Iterator[tuple[cst.Call, "Scope"]]:
    """The calls ``x.<method>()`` in ``caller``'s file on an instance ``x`` of ``info`` (a class of
    ``owner``'s file): ``Cls(...).m()``, a name bound once to ``Cls(...)``, or ``self.m()`` in the class."""
    name = method.name.value
    for site in caller.calls:
        func = site.node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == name):
            continue
        base = func.value
        if isinstance(base, cst.Name) and base.value == "self" and caller is owner:
            if caller.enclosing_class(site.scope) is info:
                yield site.node, site.scope
            continue
        bound = caller.binding(base.value, site.scope) if isinstance(base, cst.Name) else (base, site.scope)
        built = bound[0] if bound is not None else None
        if not isinstance(built, cst.Call) or not isinstance(built.func, (cst.Name, cst.Attribute)):
            continue
        found = project_class(caller, built.func)
        if found is None or found[0] is not owner or found[1] is not info:
            continue
        if caller is not owner and (site.node.args or not _keeps_read_params(caller, built, bound[1], info, loader)):
            continue
        yield site.node, site.scope


def _keeps_read_params(caller: "FileModel", built: cst.Call, scope: "Scope", info: "ClassInfo",
                       loader: cst.Call) -> bool:
    """Whether the construction ``built`` (in another file) gives none of the ``__init__`` parameters that
    the attributes the loader reads (``self.batch_size``, ``self.dataset``) are assigned from."""
    bound = bind_in(built, _init_params(info), scope, caller)
    if bound is None:
        return False
    init = info.methods.get("__init__")
    if init is None:
        return not bound
    params = {p.name.value for p in (*init.params.posonly_params, *init.params.params, *init.params.kwonly_params)}
    read = {node.attr.value for node in walk(loader) if isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name) and node.value.value == "self"}
    used: set[str] = set()
    for attr in read:
        for value, _where in info.attributes.get(attr, ()):
            used |= {n.value for n in walk(value) if isinstance(n, cst.Name) and n.value in params}
    return not (used & bound.keys())


def files_beside(model: "FileModel", word: str, also: str) -> list["FileModel"]:
    """The project files in this file's folder (and the one above, for a package) whose text holds
    ``word`` and ``also``: the places that may call into this file."""
    project = model.project
    if project is None:
        return []
    here = os.path.dirname(os.path.abspath(model.path))
    folders = [here, os.path.dirname(here)] if os.path.isfile(os.path.join(here, "__init__.py")) else [here]
    found: list[FileModel] = []
    for folder in folders:
        for path in files_mentioning(project, model.path, folder, word, recursive=False):
            if len(found) < _MAX_FILES and project.mentions(path, also):
                other = project.model(path)
                if other is not None and other is not model:
                    found.append(other)
    return found
