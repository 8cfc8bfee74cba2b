"""The caller's side of callbacks: a function this flow gives to code that calls it later.

``train(model, loader, on_epoch_end=lambda e: validate(model, val_loader, e))`` (``train`` of any file) runs
``validate`` where its body calls ``on_epoch_end``; ``hooks.add(functools.partial(log, model, x))`` then
``hooks.fire(epoch)`` (a class of any file that keeps what ``add`` is given in a list, ``self.after_epoch``,
and calls its items in ``fire``) runs ``log``. At that call, the callback's function is called by this
flow: its parameters get the modules named in the lambda or partial, in the modes they have where the
callee calls it (``call_args``: the evaluations inside it resolve through this caller), and what it runs
inside another function's training loop is recorded (``callback_runs``, for BN103). What a list of
callbacks does to the modes is applied where a dispatcher (a method that changes no mode itself) fires it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind
from .keys import key_expression, key_of
from .records import record_passed
from .state import _ENTRY, State, _lookup, _set, _tracked

if TYPE_CHECKING:  # pragma: no cover
    from .flow import _Flow
    from .analysis import ModeAnalysis
    from .records import Summary

_MAX_REGISTERED = 8


@dataclass(frozen=True)
class CallbackRun:
    """A function of this file (``target``) run as a callback by ``callee`` (a function of any file) where
    ``call`` calls it; ``given``: the callee's parameters -> what this file gives them; ``calls``: where the
    callee calls the callback; ``bound``: the target's parameters -> what this file gives them."""

    call: cst.Call
    callee: "tuple[ModeAnalysis, cst.FunctionDef]"
    calls: tuple[cst.Call, ...]
    target: cst.FunctionDef
    summary: "Summary"
    bound: tuple[tuple[str, cst.BaseExpression], ...]
    given: tuple[tuple[str, cst.BaseExpression], ...]
    name: str  # the callee's parameter (or ``self.hooks``) that holds it
    modes: dict  # what the target is given -> its modes at ``call``


def callable_value(model, value: cst.BaseExpression) -> bool:
    """A lambda calling a function, ``functools.partial(f, ...)``, or a function of this file by name."""
    if isinstance(value, cst.Lambda):
        return isinstance(value.body, cst.Call)
    if isinstance(value, cst.Call):
        return model.qualname(value.func) == "functools.partial" and bool(value.args) \
            and value.args[0].keyword is None and not any(a.star for a in value.args)
    return isinstance(value, cst.Name) and value.value in model.functions and model.binding(value.value, None) is None


class FlowGivenCallables:
    """A part of the walk of one function (``flow.given_callables``): callables this flow gives away, run where the code given them calls them."""

    def __init__(self, flow: "_Flow") -> None:
        self.flow = flow

    def callables_at(self, call: cst.Call, state: State) -> None:
        """A list of callables filled (``self.after_epoch.append(fn)`` here, or ``hooks.add(fn)``) or fired."""
        self.flow.callbacks.stored_callable(call)
        self._register_callables(call, state)
        self._fire_hooks(call, state)

    def _register_callables(self, call: cst.Call, state: State) -> None:
        """``hooks.after_epoch.append(fn)``, or ``hooks.add(fn)`` of a method that does that: ``fn`` is kept
        in ``hooks.after_epoch`` (``hook_lists``)."""
        given = [arg for arg in call.args if not arg.star and callable_value(self.flow.model, arg.value)]
        func = call.func
        if not given or not isinstance(func, cst.Attribute):
            return
        receiver = key_of(func.value)
        if receiver is None:
            return
        if func.attr.value == "append" and len(call.args) == 1 and "." in receiver:
            self._register(receiver, given[0].value)
            return
        target = self.flow.a.callees.callee(call, other_files=True)
        summary = target[0].summary(target[1]) if target is not None else None
        if summary is None or not summary.stored_callables:
            return
        params = summary.params[1:] if summary.params[:1] == ["self"] else summary.params
        values = bind(call, params, self.flow.model, self.flow.scope).values
        for param, kept in summary.stored_callables.items():
            value = values.get(param)
            if value is not None and callable_value(self.flow.model, value) and kept.startswith("self."):
                self._register(receiver + kept[len("self"):], value)

    def _register(self, where: str, value: cst.BaseExpression) -> None:
        kept = self.flow.hook_lists.setdefault(where, [])
        if len(kept) < _MAX_REGISTERED and not any(v is value for v in kept):
            kept.append(value)

    def _fire_hooks(self, call: cst.Call, state: State) -> None:
        """``hooks.fire(epoch)`` of a method that calls the items of ``self.after_epoch``: the callables
        registered in ``hooks.after_epoch`` run here."""
        func = call.func
        receiver = key_of(func.value) if isinstance(func, cst.Attribute) else None
        if receiver is None or not any(k.startswith(receiver + ".") for k in self.flow.hook_lists):
            return
        target = self.flow.a.callees.callee(call, other_files=True)
        summary = target[0].summary(target[1]) if target is not None else None
        if summary is None or not summary.callback_states:
            return
        dispatcher = not summary.effects and not summary.trains
        for name in summary.callback_states:
            if not name.startswith("self."):
                continue
            for value in self.flow.hook_lists.get(receiver + name[len("self"):], ()):
                self._run_callable(call, value, name, target, summary, [("self", func.value)], state, dispatcher)

    def run_given_callables(self, call: cst.Call, bound, summary: "Summary", target, state: State) -> None:
        """At a call of a function (of any file) that calls a parameter this call gives a callable."""
        for param, value in bound:
            if param in summary.callback_states and callable_value(self.flow.model, value):
                self._run_callable(call, value, param, target, summary, bound, state, False)

    def _run_callable(self, call, value, name, callee, summary, given, state: State, apply: bool) -> None:
        here = self._at_callback(summary, name, given)
        found = self._caller_target(value, here)
        if found is None:
            return
        function, bound = found
        target_summary = self.flow.a.summary(function)
        if target_summary is None:
            return
        during = dict(state)  # (the modes where the callee calls it: its own changes, translated)
        for key, facts in summary.callback_states.get(name, {}).items():
            root, dot, rest = key.partition(".")
            passed = next((key_of(arg) for param, arg in given if param == root), None)
            if passed is None or facts == _ENTRY or not _tracked(state, passed + dot + rest):
                continue
            target_key = passed + dot + rest
            _set(during, target_key, self.flow.helper_calls.translate(facts, _lookup(state, target_key), call, summary, callee[0]))
        args_key = self.flow.a.entry.args_key(function)
        for param, arg in bound:
            key = key_of(arg)
            if key is not None and args_key is not None and _tracked(during, key):
                record_passed(self.flow, f"{args_key}.{param}", call, key, during)
        modes = {key: _lookup(state, key) for key in map(key_of, (arg for _, arg in bound))
                 if key is not None and _tracked(state, key)}
        self.flow.a.callback_runs.append(CallbackRun(call, callee, tuple(summary.callback_calls.get(name, ())), function,
                                                target_summary, tuple(bound), tuple(given), name, modes))
        if apply:
            self.flow.helper_calls.apply_effects(call, bound, target_summary.effects, target_summary, self.flow.a, state)

    def _at_callback(self, summary: "Summary", name: str, given) -> list[cst.BaseExpression | None]:
        """What the callee passes the callback, as this flow names it (None: not one of its parameters)."""
        calls = summary.callback_calls.get(name, ())
        if not calls:
            return []
        out: list[cst.BaseExpression | None] = []
        for arg in calls[0].args:
            if arg.keyword is not None or arg.star:
                break
            key = key_of(arg.value)
            root, dot, rest = (key or "").partition(".")
            passed = next((g for param, g in given if param == root), None) if key else None
            out.append(key_expression(key_of(passed) + dot + rest) if passed is not None and key_of(passed)
                       else None)
        return out

    def _caller_target(self, value: cst.BaseExpression, here: list):
        """(function of this file, [(its parameter, what this flow gives it)]) for a callable value."""
        if isinstance(value, cst.Lambda):
            inner = [p.name.value for p in value.params.params]
            passed = dict(zip(inner, here))
            body = value.body
            args = []
            for arg in body.args:  # type: ignore[attr-defined]
                if arg.star:
                    return None
                v = arg.value
                if isinstance(v, cst.Name) and v.value in inner:
                    v = passed.get(v.value) or cst.Name("None")
                args.append(arg.with_changes(value=v))
            func = body.func  # type: ignore[attr-defined]
        elif isinstance(value, cst.Call):
            fixed = list(value.args[1:])
            args = [*(a for a in fixed if a.keyword is None), *(cst.Arg(v or cst.Name("None")) for v in here),
                    *(a for a in fixed if a.keyword is not None)]
            func = value.args[0].value
        else:
            func, args = value, [cst.Arg(v or cst.Name("None")) for v in here]
        if not (isinstance(func, cst.Name) and func.value in self.flow.model.functions
                and self.flow.model.binding(func.value, None) is None):
            return None
        function = self.flow.model.functions[func.value]
        summary = self.flow.a.summary(function)
        if summary is None:
            return None
        values = bind(cst.Call(func=func, args=args), list(summary.params), self.flow.model, self.flow.scope).values
        return function, [(param, values[param]) for param in summary.params if param in values]
