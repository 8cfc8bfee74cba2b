"""Defaults of a settings object a parameter is annotated with.

``def build_input_bn(size, config: TabNetConfig)`` then ``config.bn_momentum``: the
class (a dataclass, a plain settings class, a pydantic model of this file) declares
``bn_momentum: float = 0.95``. That default is what the code shows for the entry,
unless a construction of the class in this file passes the entry, or some code
assigns it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.batching.facts import Size
from bn_lint.semantic.project.annotated_classes import annotated_class
from bn_lint.semantic.file.records import param_of
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.batching.sizes import SizeResolution
    from bn_lint.semantic.file.model import ClassInfo, Scope


def annotated_default(analysis: "SizeResolution", name: str, attr: str, scope: "Scope | None",
                      following: frozenset) -> Size | None:
    """The class default of ``<name>.<attr>`` for a parameter ``name`` annotated with a class of this file or
    of another project file (read there)."""
    found = param_of(name, scope)
    owner = annotated_class(analysis.model, found[0]) if found is not None else None
    if owner is None or _overridden(analysis, owner[1], attr):  # (a class of this file, or imported from another)
        return None
    info = owner[1]
    size = analysis.in_file(owner[0]).attributes.class_default(info, attr, following)
    if size is None:
        return None
    return Size(size.value, size.source or f"the default of {info.name}.{attr}")


def _overridden(analysis: "SizeResolution", info: "ClassInfo", attr: str) -> bool:
    """Whether a construction of the class passes ``attr`` (or hides what it passes), or code assigns it."""
    model = analysis.model
    if any(key == attr for _name, key in analysis.config_entries.mutated):
        return True
    for site in model.calls:
        func = site.node.func
        if isinstance(func, cst.Name) and func.value == info.name:
            if any(arg.star or arg.keyword is None or arg.keyword.value == attr for arg in site.node.args):
                return True
    return False


def hyperparameter(analysis: "SizeResolution", expr: cst.Attribute, scope: "Scope | None", following: frozenset) -> Size | None:
    """``self.hparams.batch_size`` in a Lightning module whose ``__init__`` takes ``batch_size`` and calls
    ``self.save_hyperparameters()``: what that parameter gets (its default, or what the calls here give)."""
    model = analysis.model
    inner = expr.value
    if not (isinstance(inner, cst.Attribute) and inner.attr.value == "hparams" and isinstance(inner.value, cst.Name)
            and inner.value.value == "self"):
        return None
    info = model.enclosing_class(scope)
    init = info.methods.get("__init__") if info is not None else None
    if init is None or not any(isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute)
                               and n.func.attr.value == "save_hyperparameters" and not n.args
                               for n in walk(init.body)):
        return None
    name = expr.attr.value
    if name not in {p.name.value for p in init.params.params}:
        return None
    init_scope = model.scopes.get(init)
    return analysis.size(cst.Name(name), init_scope, following) if init_scope is not None else None
