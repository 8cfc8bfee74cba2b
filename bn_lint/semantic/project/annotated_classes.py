"""The settings class a parameter is annotated with, and the default it declares for an entry.

``def __init__(self, cfg: Config)`` then ``cfg.out_dim``: ``Config`` (a dataclass, a NamedTuple, a plain
settings class of this file or imported from another project file) declares ``out_dim: int = 128``. The
batch sizes (``batching.annotated``) and the widths (``shapes``) read that default through here.

``def build(cfg: CfgNode)`` then ``cfg.MODEL.PCB.PART_DIM``: a configuration node (yacs, fvcore, detectron2, or a
project subclass of one) reads the tree of defaults the project writes once, at module level, for that path
(``_C.MODEL.PCB.PART_DIM = 512`` in its defaults module): :func:`config_tree_default`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import os
import re

import libcst as cst

from bn_lint.repository_search import files_mentioning
from bn_lint.semantic.evaluators.attr_configs import written_entry
from bn_lint.semantic.evaluators.record_fields import field_default
from bn_lint.semantic.knowledge.library_models import CONFIG_NODE_CLASSES
from bn_lint.semantic.project.definitions import project_class

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope


def annotated_class(model: "FileModel", param: cst.Param) -> tuple["FileModel", "ClassInfo"] | None:
    """The project class ``param``'s annotation names (``cfg: Config``, ``cfg: "Config"``,
    ``cfg: config.Config``), in this file or another project file; None for any other annotation."""
    if param.annotation is None:
        return None
    annotation = param.annotation.annotation
    if isinstance(annotation, cst.SimpleString):  # `cfg: "Config"`
        text = annotation.evaluated_value if isinstance(annotation.evaluated_value, str) else ""
        annotation = cst.Name(text) if text.isidentifier() else annotation
    if not isinstance(annotation, (cst.Name, cst.Attribute)):
        return None
    return project_class(model, annotation)


def declared_default(owner: "FileModel", info: "ClassInfo",
                     attr: str) -> tuple[cst.BaseExpression, "Scope"] | None:
    """The one value class ``info`` (of ``owner``'s file) declares for ``attr`` in its body (a dataclass
    field's default, ``field(default=...)`` too, or a class-level constant), with its scope; None when a
    method assigns the attribute or the body binds it more than once."""
    if attr in info.attributes:  # set in __init__ or elsewhere: not a class default
        return None
    values = info.scope.bindings.get(attr)
    if not values or len(values) != 1:
        return None
    value = field_default(owner, values[0])  # (`hidden: int = field(default=256)`)
    return (value, info.scope) if value is not None else None


def entry_default(model: "FileModel", param: cst.Param,
                  name: str) -> tuple["FileModel", cst.BaseExpression, "Scope"] | None:
    """(file, value, scope) of the default the annotation of ``param`` gives its entry ``name``: a settings
    class's declared default (``out_dim``), or a configuration tree's (``MODEL.DIM``, :func:`config_tree_default`)."""
    if "." in name:
        found = config_tree_default(model, param, name.split("."))
        return (found[0], found[1], found[0].module_scope) if found is not None else None
    owner = annotated_class(model, param)
    declared = declared_default(*owner, name) if owner is not None else None
    return (owner[0], *declared) if declared is not None else None


def config_tree_default(model: "FileModel", param: cst.Param,
                        path: list[str]) -> tuple["FileModel", cst.BaseExpression] | None:
    """(file, value) of the default the project's tree of settings gives ``path`` (``["MODEL", "DIM"]``), for a
    parameter annotated with a configuration node class: the one module-level write of ``ROOT.MODEL.DIM`` in the
    repository (a tree of the defaults). None when another file, or a function anywhere, writes that path too
    (a project's extension of the defaults), or when the file of the tree merges settings into it."""
    if model.project is None or len(path) < 2 or not _config_node(model, param):
        return None
    dotted = ".".join(path)
    written = re.compile(rb"[\w)\]]\." + re.escape(dotted).encode() + rb"\s*(=[^=]|\+=)")
    root = str(model.project.root_for(model.path))
    writers = [other for other in files_mentioning(model.project, model.path, root, "." + dotted)
               if model.project.matches(other, written.pattern)]
    in_function = rb"(?m)^[ \t]+[\w.]*" + written.pattern  # (an indented write: a function extending the defaults)
    if not writers or re.search(written, model.source.encode()) \
            or any(model.project.matches(other, in_function) for other in writers):
        return None
    # the nearest tree (a repository holding copies of the project, or several projects, has one per copy)
    here = os.path.abspath(model.path)
    depth = {other: len(os.path.commonpath([here, os.path.abspath(other)])) for other in writers}
    nearest = [other for other in writers if depth[other] == max(depth.values())]
    if len(nearest) != 1:
        return None
    owner = model.project.model(nearest[0])
    return written_entry(owner, path) if owner is not None else None


def _config_node(model: "FileModel", param: cst.Param) -> bool:
    """Whether ``param`` is annotated with a configuration node class (``cfg: CfgNode``, a project subclass of it)."""
    annotation = param.annotation.annotation if param.annotation is not None else None
    if not isinstance(annotation, (cst.Name, cst.Attribute)):
        return False
    if model.qualname(annotation) in CONFIG_NODE_CLASSES:
        return True
    found = project_class(model, annotation)
    for _ in range(3):  # (a few project classes deep)
        if found is None:
            return False
        owner, info = found
        if any(owner.qualname(base) in CONFIG_NODE_CLASSES for base in info.bases):
            return True
        found = next((project_class(owner, base) for base in info.bases
                      if isinstance(base, (cst.Name, cst.Attribute)) and project_class(owner, base) is not None), None)
    return False
