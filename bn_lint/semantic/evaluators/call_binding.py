"""Which argument a call gives each parameter: the one binder every analysis uses.

Positional arguments fill the parameters in order, keywords bind by name. ``*[a, b]`` (a list or
tuple display) spreads its items; ``**bundle`` its entries when ``bundles`` knows them (a dict
display or ``dict(...)`` bound once where the call sees it, ``self.kw`` assigned one), or, for a
``**norm_kwargs`` parameter, the dict every call of its function gives it. Any other ``*args`` / ``**kwargs``
makes the binding incomplete: what it gives is not known, but what the call writes out still binds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Mapping, Sequence, TypeVar

import libcst as cst

from bn_lint.semantic.evaluators.bundles import bundle_entries, encloses
from bn_lint.semantic.file.classes import super_call
from bn_lint.semantic.file.records import param_of

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope
    from bn_lint.semantic.file.records import CallSite


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


T = TypeVar("T")


@dataclass
class Matched(Generic[T]):
    """A call's arguments matched to a function's parameters, of any kind of value (expressions for
    ``bind``, evaluated values for the chain interpreter): by parameter name, and what no parameter took."""

    values: dict[str, T]
    rest_args: list[T]  # positional arguments past the parameters (a ``*args`` parameter's)
    rest_kwargs: dict[str, T]  # keywords naming no parameter (a ``**kwargs`` parameter's)


def match_arguments(positional: Sequence[str], args: Sequence[T], kwargs: Mapping[str, T],
                    by_keyword: Sequence[str] | None = None) -> Matched[T]:
    """Python's matching of arguments to parameters: ``args`` fill ``positional`` in order, keywords bind
    the parameter of their name among ``by_keyword`` (default: ``positional``); a parameter a positional
    argument filled keeps it."""
    accepted = positional if by_keyword is None else by_keyword
    values = dict(zip(positional, args))
    rest_kwargs: dict[str, T] = {}
    for name, value in kwargs.items():
        if name in accepted and name not in values:
            values[name] = value
        elif name not in accepted:
            rest_kwargs[name] = value
    return Matched(values, list(args[len(positional):]), rest_kwargs)


def match_call(function: cst.FunctionDef, skip: int, args: Sequence[T], kwargs: Mapping[str, T]) -> Matched[T]:
    """``match_arguments`` against ``function``'s own parameters, after the first ``skip`` (``self``); a
    positional-only parameter is not bound by keyword."""
    params = function.params
    by_keyword = tuple(p.name.value for p in (*params.params, *params.kwonly_params))
    return match_arguments(positional_names(function, skip), args, kwargs, by_keyword)


def positional_names(function: cst.FunctionDef, skip: int = 0) -> tuple[str, ...]:
    """The parameters a positional argument can fill, in order, after the first ``skip`` (``self``)."""
    params = function.params
    return tuple(p.name.value for p in (*params.posonly_params, *params.params))[skip:]


def bind(call: cst.Call, params: Sequence[str], model: "FileModel | None" = None,
         scope: "Scope | None" = None) -> Bound:
    """``call``'s arguments by name: positional ones fill ``params`` in order, keywords bind by their
    own name. Bundles (``**config``) are opened only when ``model`` and ``scope`` are given."""
    bound = Bound()
    args: list[cst.BaseExpression] = []
    keywords: dict[str, cst.BaseExpression] = {}
    positional_known = True
    for arg in call.args:
        if arg.star == "*":
            items = arg.value.elements if isinstance(arg.value, (cst.List, cst.Tuple)) else None
            if items is None or any(isinstance(i, cst.StarredElement) for i in items) or not positional_known:
                positional_known = bound.complete = False
                continue
            args.extend(item.value for item in items)
        elif arg.star == "**":
            found = given_bundle(model, arg.value, scope) if model is not None and scope is not None else None
            if found is None:
                bound.complete = False
                continue
            keywords.update(found[0])
            if found[1] is not scope:
                bound.scopes.update(dict.fromkeys(found[0], found[1]))
        elif arg.keyword is not None:
            keywords[arg.keyword.value] = arg.value
            bound.scopes.pop(arg.keyword.value, None)
        elif positional_known:
            args.append(arg.value)
    matched = match_arguments(params, args, {})
    bound.values = {**matched.values, **keywords}  # (every keyword: a ``**kwargs`` parameter's are passed on by name)
    return bound


def bind_in(call: cst.Call, params: Sequence[str], scope: "Scope | None",
            model: "FileModel | None" = None) -> dict[str, tuple[cst.BaseExpression, "Scope | None"]] | None:
    """``bind`` as parameter -> (argument, the scope it is written in); None when it is incomplete."""
    bound = bind(call, params, model, scope)
    if not bound.complete:
        return None
    return {name: (value, bound.scope_of(name, scope)) for name, value in bound.values.items()}


def callers(model: "FileModel", function: cst.FunctionDef,
            methods: bool = False) -> list[tuple["CallSite", Bound]] | None:
    """Each call of ``function`` in this file, with its arguments bound (bundles opened): ``f(...)`` for a
    module-level function, ``Class(...)`` for a class's ``__init__``, and with ``methods`` the class's own
    ``self.f(...)`` for another method (calls on instances elsewhere are not seen); None for a function
    this file cannot call by name."""
    called = model.called_as(function)
    outer = model.scope_of(function)
    if called is None and outer.kind == "function" and outer.functions.get(function.name.value) is function:
        params = positional_names(function)  # a helper defined in a function: its calls there, by name
        return [(site, bind(site.node, params, model, site.scope))
                for site in model.sites_by_called.get(function.name.value, ())
                if isinstance(site.node.func, cst.Name) and encloses(outer, site.scope)]
    if called is None and methods:
        info = model.enclosing_class(outer)
        if info is not None and info.methods.get(function.name.value) is function:
            params = positional_names(function, 1)
            return [(site, bind(site.node, params, model, site.scope))
                    for site in model.sites_by_called.get(function.name.value, ())
                    if _self_call(site.node.func, function.name.value)
                    and model.enclosing_class(site.scope) is info]
    if called is None:
        return None
    name, skip = called
    params = positional_names(function, skip)
    found = [(site, bind(site.node, params, model, site.scope)) for site in model.sites_by_called.get(name, ())
             if isinstance(site.node.func, cst.Name)]
    if skip == 1:  # (a class's `__init__`: also what a subclass of this file gives it, `super().__init__(resnet18)`,
        # or `Feature.__init__(self, model='resnet50')`, `self` given first)
        inits = model.sites_by_called.get("__init__", ())
        found += [(site, bind(site.node, params, model, site.scope)) for site in inits
                  if _base_init_call(model, site, name)]
        explicit = positional_names(function)
        found += [(site, bind(site.node, explicit, model, site.scope)) for site in inits
                  if _explicit_init_call(site.node.func, name)]
    return found


def _explicit_init_call(func: cst.BaseExpression, name: str) -> bool:
    """``Feature.__init__(self, ...)``: the class ``name``'s ``__init__`` called on an instance given first."""
    return isinstance(func, cst.Attribute) and func.attr.value == "__init__" and isinstance(func.value, cst.Name) \
        and func.value.value == name


def _base_init_call(model: "FileModel", site: "CallSite", name: str) -> bool:
    """``super().__init__(...)`` (or ``super(Sub, self).__init__(...)``) in a class of this file whose first base
    is the class ``name``."""
    func = site.node.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "__init__" and super_call(func.value)):
        return False
    info = model.enclosing_class(site.scope)
    return info is not None and bool(info.bases) and isinstance(info.bases[0], cst.Name) and info.bases[0].value == name


def _self_call(func: cst.BaseExpression, name: str) -> bool:
    return (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self"
            and func.attr.value == name)


@dataclass(frozen=True)
class Given:
    """What one call of a function gives one of its parameters."""

    value: cst.BaseExpression | None  # None: not known (an unknown ``*args`` / ``**kwargs`` may hold it)
    scope: "Scope | None"  # where ``value`` is written
    site: "CallSite | None"  # the call; None: no call in this file, the parameter keeps its default
    default: bool = False  # the call leaves the parameter at its default


def given_values(model: "FileModel", function: cst.FunctionDef, param: str,
                 methods: bool = False) -> list[Given] | None:
    """What each call of ``function`` in this file gives ``param`` (its default where a call leaves it out,
    or where nothing here calls the function); None for a function this file cannot call by name
    (``methods``: as ``callers``)."""
    sites = callers(model, function, methods)
    if sites is None:
        return None
    default = param_default(function, param)
    where = model.scope_of(function)  # (a default is evaluated where the function is defined)
    if not sites:
        return [Given(default, where, None, True)]
    return [given_at(site, bound, param, default, where) for site, bound in sites]


def param_default(function: cst.FunctionDef, param: str) -> cst.BaseExpression | None:
    """The default ``function`` declares for ``param`` (None: none, or no such parameter)."""
    declared = next((p for p in (*function.params.posonly_params, *function.params.params,
                                 *function.params.kwonly_params) if p.name.value == param), None)
    return declared.default if declared is not None else None


def given_at(site: "CallSite", bound: Bound, param: str, default: cst.BaseExpression | None,
             where: "Scope | None") -> Given:
    """What one call (``site``, its arguments ``bound``) gives ``param``: its argument, nothing known (an unknown
    ``*args`` / ``**kwargs`` may hold it), or the ``default`` written in ``where``."""
    if param in bound:
        return Given(bound.values[param], bound.scope_of(param, site.scope), site)
    return Given(None, None, site) if not bound.complete else Given(default, where, site, True)


def given_bundle(model: "FileModel", expr: cst.BaseExpression,
                 scope: "Scope") -> tuple[dict[str, cst.BaseExpression], "Scope"] | None:
    """The entries of the dict a ``**`` argument holds, with the scope they are written in; None if unsure
    (for a parameter: the one dict every call of its function gives it)."""
    choices = _given_bundles(model, expr, scope)
    if choices is not None:
        return choices[0] if len(choices) == 1 and choices[0] is not None else None
    return bundle_entries(model, expr, scope)


def bundle_choices(model: "FileModel", expr: cst.BaseExpression,
                   scope: "Scope") -> list[tuple[dict[str, cst.BaseExpression], "Scope"]]:
    """Each dict a ``**`` argument may hold on a path the code shows: the one it names, or for a
    parameter, the one each call of its function gives it (calls that hide it are left out)."""
    choices = _given_bundles(model, expr, scope)
    if choices is None:
        found = bundle_entries(model, expr, scope)
        return [found] if found is not None else []
    return [c for c in choices if c is not None]


_OPENING: set[tuple[int, str]] = set()  # (function, parameter) whose calls are being read


def _given_bundles(model: "FileModel", expr: cst.BaseExpression,
                   scope: "Scope") -> list[tuple[dict[str, cst.BaseExpression], "Scope"] | None] | None:
    """For ``expr`` naming a parameter: the bundle each call of its function gives it (None where a
    call gives no dict the code shows), one per distinct argument; None when ``expr`` is no parameter
    or nothing in the file calls its function."""
    found = param_of(expr.value, scope) if isinstance(expr, cst.Name) else None
    if found is None or found[1] is None:
        return None
    key = (id(found[1]), expr.value)
    if key in _OPENING:  # a call of the function inside itself: gives nothing more
        return None
    _OPENING.add(key)
    try:
        passed = given_values(model, found[1], expr.value)
    finally:
        _OPENING.discard(key)
    if not passed or passed[0].site is None:
        return None
    seen: dict[int, tuple[dict[str, cst.BaseExpression], "Scope"] | None] = {}
    for given in passed:
        if given.value is None or given.scope is None:
            seen[id(given)] = None
        elif id(given.value) not in seen:
            seen[id(given.value)] = bundle_entries(model, given.value, given.scope)
    return list(seen.values())
