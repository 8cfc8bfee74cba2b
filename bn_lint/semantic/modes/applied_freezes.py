"""A callee's freezes applied at a call: what a function, method, static method, builder or constructor freezes.

A function's summary lists the modules it freezes (``requires_grad = False``) by where they are rooted: in a
parameter (``module``, ``self.body`` for a method) or under the model it returns (``returned_freezes``;
``__init__``'s freezes of ``self`` for a class). A freeze that runs under a test of the callee's flags
(``if feature_extract:``) or that sets a parameter's value (``p.requires_grad = enabled``) has its tests in
``freeze_tests``: it happens at a call whose arguments, or the defaults, make them hold (``fine_tune(False)``).
Each call of the flow applies them the same way, whatever runs it: ``freeze(model.bn)``,
``encoder.fine_tune(False)``, ``backbone = ModelUtils.freeze(Net())``, ``model = create_backbone()``,
``model = Net()``, the callee in this file or in another (resolved by the project's definitions).

A freeze of this file is watched where it is; one of another file is watched at the call here, which stands
for it (``ModeAnalysis.freeze_origins``: the call -> the freeze and the file that holds it), so the finding is
reported at the freezing statement itself.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind
from bn_lint.semantic.project.definitions import inherited_definition, project_class
from bn_lint.semantic.syntax.constants import UNKNOWN as UNKNOWN_VALUE
from .keys import _unwrap_passthrough, key_of, key_root
from .known_calls import _INDEXED_MODE_CHANGE
from .records import Summary
from .state import State, _tracked

if TYPE_CHECKING:  # pragma: no cover
    from .flow import _Flow
    from .analysis import ModeAnalysis

Target = tuple["ModeAnalysis", "cst.FunctionDef"]


class FlowAppliedFreezes:
    """A part of the walk of one function (``flow.applied_freezes``): the freezes of the project functions a call runs, at that call."""

    def __init__(self, flow: "_Flow") -> None:
        self.flow = flow

    def apply_freezes(self, call: cst.Call, target: Target, summary: Summary, bound, state: State) -> None:
        """What ``call``'s callee freezes of the modules it is given: its parameters and ``self``'s parts."""
        for param, arg in bound:
            key = key_of(arg)
            if key is None:
                continue
            for node, frozen in summary.freezes:
                root = key_root(frozen)
                target_key = key + frozen[len(root):]  # (`module.body`, `module[1]`)
                if root == param and _tracked(state, target_key) and self.tests_hold(node, summary, bound, target, call):
                    self._watch_frozen(call, node, target[0], target_key)

    def frozen_in_result(self, value: cst.BaseExpression | None, key: str, index: int | None = None) -> None:
        """``model = build_model()``, ``backbone = ModelUtils.freeze(Net())``, ``model = Net()`` where the
        callee freezes (part of) the model it gives back: watch it here under ``key``; with ``index``, element
        ``index`` of the tuple it returns (``model, tf = build_model()``)."""
        for site, rest in self.result_freezes(value, index):
            frozen = key + rest
            self.flow.watch[site] = (frozen, "frozen")
            self.flow.helper_frozen.append((site, frozen))  # (returned from here: given back frozen)

    def result_freezes(self, value: cst.BaseExpression | None, index: int | None = None) -> list[tuple[cst.CSTNode, str]]:
        """The freezes of the model ``value`` gives back, made by the callee at this call: (the site that
        stands for the freeze here, the part frozen under the returned model, with its separator: ``.head``, ``[1]``;
        "" for all of it). Not for a builder when the file changes the mode of a part by index (``model[0].eval()``),
        which is not followed."""
        value = _unwrap_passthrough(value)  # Net().to(device)
        if not isinstance(value, cst.Call):
            return []
        where = self.flow.a.callees.imported_callee(value)
        project = self.flow.model.project
        if where is not None and project is not None and project.indexed(where[0], "returns_frozen", where[1]) is False:
            return []  # (another file's function that the project index says gives back nothing frozen: not parsed)
        target = self.flow.a.callees.callee(value)
        if target is not None:
            summary = target[0].summary(target[1])
            if summary is None or _INDEXED_MODE_CHANGE.search(self.flow.model.source):
                return []
            freezes = summary.returned_freezes if index is None else summary.element_freezes.get(index, [])
            bound = self.flow.helper_calls.bind_args(value, summary)
        else:
            target = self._constructor(value) if index is None else None
            summary = target[0].summary(target[1]) if target is not None else None
            if summary is None:
                return []
            freezes = [(node, frozen[len("self"):]) for node, frozen in summary.freezes if key_root(frozen) == "self"]
            bound = list(bind(value, summary.params[1:], self.flow.model, self.flow.scope).values.items())
        return [(self._site_of(value, node, target[0]), rest) for node, rest in freezes
                if self.tests_hold(node, summary, bound, target, value)]

    def _constructor(self, call: cst.Call) -> Target | None:
        """The ``__init__`` that ``Net(...)`` runs: of a project class (this file's or another's), its own or
        a base's."""
        if not isinstance(call.func, (cst.Name, cst.Attribute)) or not self._may_freeze(call.func):
            return None
        found = project_class(self.flow.model, call.func)
        if found is None or isinstance(call.func, cst.Name) and self.flow.model.binding(call.func.value, None) is not None:
            return None
        owner, info = found
        init = info.methods.get("__init__")
        if init is None:
            inherited = inherited_definition(owner, info, "__init__")
            if inherited is None:
                return None
            owner, init = inherited[0], inherited[2]
        return (self.flow.a if owner is self.flow.model else owner.analysis(type(self.flow.a))), init

    def _may_freeze(self, func: cst.BaseExpression) -> bool:
        """Whether the class ``func`` names may freeze in ``__init__``: defined here, or in a file whose text says
        ``requires_grad`` (another file is not parsed, nor looked up in the index, for a class that cannot)."""
        dotted = self.flow.model.qualname(func)
        where = self.flow.model.imported_path(dotted, "class") if dotted and dotted != self.flow.model.code(func) else None
        return where is None or self.flow.model.project is None or self.flow.model.project.mentions(where[0], "requires_grad")

    def _watch_frozen(self, call: cst.Call, node: cst.CSTNode, analysis: "ModeAnalysis", key: str) -> None:
        """The callee's freeze at ``node`` freezes ``key`` here: watched at later training steps."""
        site = self._site_of(call, node, analysis)
        self.flow.watch[site] = (key, "frozen")
        self.flow.watched_at[site] = call
        self.flow.helper_frozen.append((site, key))  # (a builder that returns it gives it frozen)

    def _site_of(self, call: cst.Call, node: cst.CSTNode, analysis: "ModeAnalysis") -> cst.CSTNode:
        """Where this file watches the freeze at ``node`` of ``analysis``'s file: there, in this file; at
        ``call`` for another file's, remembering the freezing statement it stands for."""
        if analysis is self.flow.a:
            return node
        self.flow.a.freeze_origins[call] = analysis.freeze_origins.get(node, (node, analysis.model))
        return call

    def tests_hold(self, node: cst.CSTNode, summary: Summary, bound, target, site: cst.CSTNode | None = None) -> bool:
        """Whether the freeze at ``node`` in the callee happens at this call: its tests on the callee's
        flags hold with this call's arguments (or the defaults). A flag passed on from this function's own
        parameter (`freeze(model, feature_extract)`) becomes a test of this function, for its callers (at
        ``site``, where it watches the freeze; ``node`` when not given)."""
        if node not in summary.freeze_tests:
            return True
        tests = summary.freeze_tests[node]
        given = dict(bound)
        func = target[1] if target is not None else None
        defaults = {p.name.value: p.default for p in (*func.params.params, *func.params.kwonly_params)
                    if p.default is not None} if isinstance(func, cst.FunctionDef) else {}
        carried = []
        for flag, wanted in tests:
            value = given.get(flag, defaults.get(flag))
            if flag in given and isinstance(value, cst.Name) and value.value in self.flow.params[:self.flow.declared]:
                carried.append((value.value, wanted))
                continue
            scope = self.flow.scope if flag in given else (target[0].model.scopes.get(func) if func is not None else None)
            model = self.flow.model if flag in given else target[0].model
            known = model.value(value, scope) if value is not None else UNKNOWN_VALUE
            if known is UNKNOWN_VALUE and isinstance(wanted, bool) and _built_module(model, value, scope):
                known = True  # (`if backbone:` given `resnet50()`: a module, which is true)
            if known is UNKNOWN_VALUE or (bool(known) != wanted if isinstance(wanted, bool)
                                          else (known == wanted[1]) != wanted[2]):
                return False
        if carried:
            where = site if site is not None and target is not None and target[0] is not self.flow.a else node
            self.flow.carried_tests[where] = carried
        return True


def _built_module(model, value: cst.BaseExpression | None, scope) -> bool:
    """``resnet50()``, ``Net(cfg)``: a call that builds a module (not a container, whose length makes its truth)."""
    from bn_lint.semantic.nn_modules.bearing import model_kind

    if not isinstance(value, cst.Call) or (model.qualname(value.func) or "").rpartition(".")[2] in _CONTAINERS:
        return False
    return model_kind(model, value, scope) is not None


_CONTAINERS = frozenset({"Sequential", "ModuleList", "ModuleDict"})

