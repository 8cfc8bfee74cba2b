"""Which argument a call gives each parameter: the one binder every analysis uses.

Positional arguments fill the parameters in order, keywords bind by name. ``*[a, b]`` (a list or
tuple display) spreads its items; ``**bundle`` its entries when ``bundles`` knows them (a dict
display or ``dict(...)`` bound once where the call sees it). Any other ``*args`` / ``**kwargs``
makes the binding incomplete: what it gives is not known, but what the call writes out still binds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import libcst as cst

from .bundles import bundle_entries, encloses

if TYPE_CHECKING:  # pragma: no cover
    from .model import FileModel, Scope


@dataclass
class Bound:
    """The arguments of one call by parameter name; ``complete`` when no unknown ``*``/``**`` remains."""

    values: dict[str, cst.BaseExpression] = field(default_factory=dict)
    complete: bool = True
    scopes: dict[str, "Scope"] = field(default_factory=dict)  # parameters given by a bundle: where it is written

    def get(self, param: str) -> cst.BaseExpression | None:
        return self.values.get(param)

    def __contains__(self, param: str) -> bool:
        return param in self.values

    def scope_of(self, param: str, default: "Scope | None") -> "Scope | None":
        return self.scopes.get(param, default)

    def known(self) -> "Bound | None":
        """This binding when complete, else None (for an analysis that needs every argument)."""
        return self if self.complete else None


def positional_names(function: cst.FunctionDef, skip: int = 0) -> tuple[str, ...]:
    """The parameters a positional argument can fill, in order, after the first ``skip`` (``self``)."""
    params = function.params
    return tuple(p.name.value for p in (*params.posonly_params, *params.params))[skip:]


def bind(call: cst.Call, params: Sequence[str], model: "FileModel | None" = None,
         scope: "Scope | None" = None) -> Bound:
    """``call``'s arguments by name: positional ones fill ``params`` in order, keywords bind by their
    own name. Bundles (``**config``) are opened only when ``model`` and ``scope`` are given."""
    bound = Bound()
    position = 0
    positional_known = True

    def keyword(name: str, value: cst.BaseExpression, where: "Scope | None" = None) -> None:
        bound.values[name] = value
        if where is not None:
            bound.scopes[name] = where

    for arg in call.args:
        if arg.star == "*":
            items = arg.value.elements if isinstance(arg.value, (cst.List, cst.Tuple)) else None
            if items is None or any(isinstance(i, cst.StarredElement) for i in items) or not positional_known:
                positional_known = bound.complete = False
                continue
            for item in items:
                if position < len(params):
                    bound.values[params[position]] = item.value
                position += 1
        elif arg.star == "**":
            found = bundle_entries(model, arg.value, scope) if model is not None and scope is not None else None
            if found is None or not encloses(found[1], scope):
                bound.complete = False
                continue
            for name, value in found[0].items():
                keyword(name, value, found[1] if found[1] is not scope else None)
        elif arg.keyword is not None:
            keyword(arg.keyword.value, arg.value)
        elif positional_known:
            if position < len(params):
                bound.values[params[position]] = arg.value
            position += 1
    return bound


def bind_in(call: cst.Call, params: Sequence[str], scope: "Scope | None",
            model: "FileModel | None" = None) -> dict[str, tuple[cst.BaseExpression, "Scope | None"]] | None:
    """``bind`` as parameter -> (argument, the scope it is written in); None when it is incomplete."""
    bound = bind(call, params, model, scope)
    if not bound.complete:
        return None
    return {name: (value, bound.scope_of(name, scope)) for name, value in bound.values.items()}
