"""The names a file gets from the project beyond what its import statements spell: those of a star import
of a project module (``from .parts import *``: its ``__all__``, or every public name it defines or
imports), and the folders it adds to ``sys.path`` before a plain import (:mod:`.search_paths`).

``settle(model)`` runs once, when the model is built with a project: the folders are given to the project
(``Project.search_folders``, which ``resolve_module`` looks in), and each star-imported name becomes an
entry of ``model.imports``, so every analysis that follows an import follows it: ``DoubleConv`` of
``from .parts import *`` is ``.parts.DoubleConv``; ``nn``, which ``parts`` imports from torch, is
``torch.nn``; a name ``parts`` imports from another project file is reached through ``parts`` (a
re-export: :func:`.project_imports.imported_path`). A dynamic import of a module the code names is an import
too (:mod:`.dynamic_imports`).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.dynamic_imports import bind_dynamic_imports
from bn_lint.semantic.file.search_paths import search_folders

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

_NOT_PROJECT = frozenset({"torch", "torchvision", "torchaudio", "timm", "numpy", "os", "sys"})


def settle(model: "FileModel") -> None:
    """Give the project the file's ``sys.path`` folders, and bind the names of its star imports."""
    project = model.project
    if project is None:
        return
    folders = search_folders(model)
    if folders:
        project.search_folders[os.path.abspath(model.path)] = tuple(folders)
    for base in model.star_imports:
        if not base.startswith(".") and base.split(".")[0] in _NOT_PROJECT:
            continue
        path = project.resolve_module(base, model.path)
        other = project.model(path) if path else None
        if other is None or other is model:
            continue
        sep = "" if base.endswith(".") else "."
        for name in exported_names(other):
            if name in model.imports or name in model.module_scope.bindings or name in model.classes \
                    or name in model.functions:
                continue
            dotted = other.imports.get(name)
            if dotted is not None and not dotted.startswith(".") and _outside_project(other, dotted):
                model.imports[name] = dotted  # (`nn` of `import torch.nn as nn` there)
            else:
                model.imports[name] = f"{base}{sep}{name}"
    bind_dynamic_imports(model)  # (`model = __import__(config['model'])`: the module the option names)


def exported_names(model: "FileModel") -> list[str]:
    """The names ``from <model's module> import *`` binds: its literal ``__all__``, else every name its
    top level binds (definitions, assignments, imports) that does not start with ``_``."""
    declared = model.module_scope.bindings.get("__all__")
    if declared and isinstance(declared[-1], (cst.List, cst.Tuple)):
        names = [element.value.evaluated_value for element in declared[-1].elements
                 if isinstance(element.value, cst.SimpleString)]
        return [name for name in names if isinstance(name, str)]
    found = dict.fromkeys([*model.classes, *model.functions, *model.module_scope.bindings, *model.imports])
    return [name for name in found if not name.startswith("_")]


def _outside_project(model: "FileModel", dotted: str) -> bool:
    """Whether the module an absolute import names (or the module holding the name) is no project file."""
    if dotted.split(".")[0] in _NOT_PROJECT or model.project is None:
        return True
    head = dotted.rpartition(".")[0]
    return all(model.project.resolve_module(candidate, model.path) is None for candidate in (dotted, head) if candidate)
