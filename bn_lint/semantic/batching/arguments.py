"""The numbers a parameter takes: what each call of this file gives it, or its default (worked out by
the file's ``SizeResolution``; see :mod:`given_numbers`)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.batching.sizes import SizeResolution
from bn_lint.semantic.batching.given_numbers import given_number, given_numbers

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.batching.facts import Size
    from bn_lint.semantic.file.model import FileModel, Scope


def parameter_numbers(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None") -> Iterator["Size"]:
    """For ``expr`` naming a parameter of a function or constructor of this file: the number each call
    here gives it (its default where a call leaves it out, or where nothing calls it), with where it
    comes from; nothing for a value no call shows."""
    return given_numbers(model, expr, scope, model.analysis(SizeResolution).number)


def parameter_number(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None") -> "Size | None":
    """The one number every call of this file gives the parameter ``expr`` (or leaves at its default;
    the default when nothing here calls it); None when a call hides it or two calls differ."""
    return given_number(model, expr, scope, model.analysis(SizeResolution).number)
