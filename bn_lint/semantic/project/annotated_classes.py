"""The settings class a parameter is annotated with, and the default it declares for an entry.

``def __init__(self, cfg: Config)`` then ``cfg.out_dim``: ``Config`` (a dataclass, a NamedTuple, a plain
settings class of this file or imported from another project file) declares ``out_dim: int = 128``. The
batch sizes (``batching.annotated``) and the widths (``shapes``) read that default through here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.record_fields import field_default
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
