"""A function's summary as one call runs it: its tests on parameters decided by the call's constants.

``make_train('valid', x, y)`` with ``def make_train(phase, x, y)`` that steps only ``if phase == 'train':``:
for that call the step never runs, so the call trains nothing (a shared train/eval step used for
validation). The callee's body is walked again with the outcome of each test that the call's literal
arguments decide assumed (the flow's ``assume``, the same branch evaluator a block uses for a condition
it tests twice); tests on anything else stay open.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind
from .conditions import _NOT_LITERAL, _condition, _condition_name, _literal, holds

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import ModeAnalysis
    from .records import Summary


# the literals an outer call passes on through the function whose flow is being worked out for it: inner call ->
# {its argument (keyword or position): the literal} (``GivenArguments._literals_passed_on``)
_PASSED_ON: dict[cst.Call, dict] = {}


class GivenArguments:
    """A part of the mode analysis (``analysis.given``): summaries of a function under the constants a call gives it."""

    def __init__(self, analysis: "ModeAnalysis") -> None:
        self.analysis = analysis

    def given_summary(self: "ModeAnalysis", func: cst.FunctionDef, call: cst.Call,
                      defaults: bool = False) -> "Summary | None":
        """``func``'s summary (``func`` is this analysis's) as ``call`` runs it: the general one when the
        call decides none of its tests; with ``defaults``, a parameter the call leaves out decides them too
        (``Net()`` with ``pretrained=False``: a constructor's own flags)."""
        assumed = self.decided_tests(func, call, defaults)
        passed = self._literals_passed_on(func, call)
        receiver = self._receiver(func, call)
        if not assumed and not passed and receiver is None:
            return self.analysis.summary(func)
        key = (func, tuple(sorted(assumed.items())),
               tuple(sorted((id(inner), str(name), self.analysis.model.code(value)) for inner, given in passed.items()
                            for name, value in given.items())), id(receiver[1]) if receiver is not None else None)
        cache = self.analysis.__dict__.setdefault("_given_summaries", {})
        if key in cache:
            return cache[key]
        scope = self.analysis.model.scopes.get(func)
        if scope is None or func in self.analysis._in_progress:
            return self.analysis.summary(func)
        from .flow import _Flow

        self.analysis._in_progress.add(func)
        _PASSED_ON.update(passed)
        if receiver is not None:
            self.analysis.dispatch.append(receiver)
        try:
            flow = _Flow(self.analysis, func, scope)
            flow.assume = dict(assumed)
            cache[key] = flow.run()
        finally:
            self.analysis._in_progress.discard(func)
            if receiver is not None:
                self.analysis.dispatch.pop()
            for inner in passed:
                _PASSED_ON.pop(inner, None)
        return cache[key]

    def _receiver(self: "ModeAnalysis", func: cst.FunctionDef, call: cst.Call) -> tuple | None:
        """(file model, class) of the instance ``call`` runs ``func`` on, an inherited method, when that class
        defines a method ``func`` calls on ``self`` (the template-method pattern: the base's ``evaluate()`` calls
        ``self._distances()``, which the subclass overrides); None otherwise."""
        from .dispatch import RECEIVERS

        receiver = RECEIVERS.get(call)
        if receiver is None:
            return None
        called = {node.func.attr.value for node in self.analysis.model.nodes_of(func, cst.Call)
                  if isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name)
                  and node.func.value.value == "self"}
        return receiver if called & set(receiver[1].methods) else None

    def _literals_passed_on(self: "ModeAnalysis", func: cst.FunctionDef, call: cst.Call) -> dict:
        """``{inner call: {parameter of its callee: literal}}``: the calls of ``func`` that pass on, unchanged, a
        parameter ``call`` gives a literal (``network_pass(net, x, train=False)`` returning
        ``forward_pass(net, x, train=train)``), so the callee's tests are decided there too."""
        given = self._given_arguments(func, call)
        literals = {name: value for name, value in given.items() if _literal(value) is not _NOT_LITERAL}
        if not literals:
            return {}
        assigned = self._assigned_names(func)
        passed: dict = {}
        for inner in self.analysis.model.nodes_of(func, cst.Call):
            for index, arg in enumerate(inner.args):
                if isinstance(arg.value, cst.Name) and arg.value.value in literals and arg.value.value not in assigned \
                        and not arg.star:
                    passed.setdefault(inner, {})[arg.keyword.value if arg.keyword else index] = literals[arg.value.value]
        return passed

    def _given_arguments(self: "ModeAnalysis", func: cst.FunctionDef, call: cst.Call) -> dict:
        """What ``call`` gives each parameter of ``func`` (by name), with the literals an outer call passed on
        through it (``_PASSED_ON``) in place of the names that carried them."""
        params = func.params
        names = [p.name.value for p in [*params.posonly_params, *params.params]]
        if names[:1] == ["self"] and (isinstance(call.func, cst.Attribute) or func.name.value == "__init__"):
            names = names[1:]  # (`obj.method(x)`, `Net(x)`: `self` is not among the arguments)
        names += [p.name.value for p in params.kwonly_params]
        given = dict(bind(call, names).values)  # (`call` may be another file's: what it writes out)
        outer = _PASSED_ON.get(call)
        if outer:
            for index, arg in enumerate(call.args):
                literal = outer.get(arg.keyword.value if arg.keyword else index)
                if literal is not None:
                    for name, value in given.items():
                        if value is arg.value:
                            given[name] = literal
        return given

    def _assigned_names(self: "ModeAnalysis", func: cst.FunctionDef) -> set[str]:
        return {node.target.value for node in self.analysis.model.nodes_of(func, cst.AssignTarget, cst.AugAssign, cst.AnnAssign)
                if isinstance(node.target, cst.Name)}

    def decided_tests(self: "ModeAnalysis", func: cst.FunctionDef, call: cst.Call,
                      defaults: bool = False) -> dict[str, bool]:
        """The tests of ``func`` (``phase == 'train'``, ``if train:``) on a parameter it never assigns that
        ``call`` gives a literal, with their outcome for that call."""
        tests = {**self.analysis.condition_tests(func), **self.argument_tests(func)}
        if not tests:
            return {}
        params = func.params
        given = self._given_arguments(func, call)
        if defaults and not any(arg.star for arg in call.args):  # (a parameter the call leaves out: its default)
            for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
                if param.default is not None and param.name.value not in given:
                    given[param.name.value] = param.default
        assigned = self._assigned_names(func)
        decided = {}
        for key in tests:
            name = _condition_name(key)
            if name in assigned or name not in given:
                continue
            literal = _literal(given[name])
            if literal is not _NOT_LITERAL:
                decided[key] = holds(key, literal)
        return decided

    def argument_tests(self: "ModeAnalysis", func: cst.FunctionDef) -> dict[str, list[cst.CSTNode]]:
        """The tests of ``func`` outside ``if`` statements, by condition key: a ``.train(flag)`` mode
        (``net.train(train)``, ``model.train(phase == "train")``) and a flag assigned a test
        (``is_train = phase == "train"``). A call that gives the parameter a literal decides them."""
        found: dict[str, list[cst.CSTNode]] = {}
        for call in self.analysis.model.nodes_of(func, cst.Call):
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "train" and len(call.args) == 1 \
                    and (call.args[0].keyword is None or call.args[0].keyword.value == "mode"):
                condition = _condition(call.args[0].value)
                if condition is not None:
                    found.setdefault(condition[0], []).append(call)
        for assign in self.analysis.model.nodes_of(func, cst.Assign):
            condition = _condition(assign.value) if len(assign.targets) == 1 else None
            if condition is not None and isinstance(assign.targets[0].target, cst.Name):
                found.setdefault(condition[0], []).append(assign)
        return found
