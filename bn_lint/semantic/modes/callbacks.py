"""The flow's calls of a callback parameter: ``on_epoch_end(epoch)`` in ``train(model, ..., on_epoch_end)``
runs what this file's callers give it (a function, ``lambda e: validate(model, loader, e)``,
``functools.partial(log, model)``), on the modules they name, translated into this function's own
parameters through the caller's call."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind, given_values, positional_names
from .keys import key_expression, key_of, key_root

if TYPE_CHECKING:  # pragma: no cover
    from .flow import _Flow
from .state import State, _join

_MAX_GIVEN = 4


class FlowCallbacks:
    """A part of the walk of one function (``flow.callbacks``): a call of a parameter resolved to the functions its callers give it."""

    def __init__(self, flow: "_Flow") -> None:
        self.flow = flow

    def callback_call(self, call: cst.Call, state: State) -> bool:
        """Apply, at ``call`` of a callable parameter, what each function the callers give it does to the
        modules it reaches (joined over the callers); False when no caller gives a function known here.
        Records the state there (``callback_states``) for callers of other files that give it one."""
        func = call.func
        if isinstance(func, cst.Name) and func.value in self.flow.callable_items:  # `for fn in self.hooks: fn(epoch)`
            self._callback_state(self.flow.callable_items[func.value], call, state)
            return False
        if not (isinstance(func, cst.Name) and isinstance(self.flow.node, cst.FunctionDef)
                and func.value in self.flow.params[:self.flow.declared]):
            return False
        self._callback_state(func.value, call, state)
        givens = given_values(self.flow.model, self.flow.node, func.value)
        runs = []
        for given in (givens or ())[:_MAX_GIVEN]:
            if given.site is None or given.value is None:
                continue
            found = self._given_callable(given.value, given.site, call)
            if found is not None:
                runs.append(found)
        if not runs:
            return False
        ends = []
        for target, bound in runs:
            end = dict(state)
            summary = target[0].summary(target[1])
            if summary is not None:
                self.flow.helper_calls.apply_effects(call, bound, summary.effects, summary, target[0], end)
            ends.append(end)
        joined = ends[0]
        for end in ends[1:]:
            joined = _join(joined, end)
        state.clear()
        state.update(joined)
        return True

    def _callback_state(self, name: str, call: cst.Call, state: State) -> None:
        """The modes at a call of what ``name`` (a parameter, or ``self.hooks`` for its items) holds."""
        old = self.flow.callback_states.get(name)
        self.flow.callback_states[name] = dict(state) if old is None else _join(old, state)
        self.flow.callback_calls.setdefault(name, []).append(call)

    def note_callable_items(self, node: cst.For) -> None:
        """``for fn in self.after_epoch:``: ``fn`` is an item of a list of callables a parameter holds."""
        key = key_of(node.iter) if isinstance(node.iter, cst.Attribute) else None
        if key is not None and key_root(key) in self.flow.params[:self.flow.declared] and isinstance(node.target, cst.Name):
            self.flow.callable_items[node.target.value] = key

    def stored_callable(self, call: cst.Call) -> None:
        """``self.after_epoch.append(fn)`` of a parameter ``fn``: the function keeps what it is given in a list
        (``stored_callables``: its callers register callbacks there)."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "append" and len(call.args) == 1
                and isinstance(call.args[0].value, cst.Name) and isinstance(self.flow.node, cst.FunctionDef)):
            return
        key = key_of(func.value)
        param = call.args[0].value.value
        if key is not None and "." in key and key_root(key) in self.flow.params[:self.flow.declared] \
                and param in self.flow.params[:self.flow.declared]:
            self.flow.stored_callables[param] = key

    def _given_callable(self, value: cst.BaseExpression, site, call: cst.Call):
        """``((analysis, function), [(param, argument here)])`` for a function given as a callback: a name,
        a lambda whose body calls one, or ``functools.partial(f, ...)``; None for anything else."""
        outer = bind(site.node, positional_names(self.flow.node), self.flow.model, site.scope).values  # caller's view
        here = [arg.value for arg in call.args if not arg.keyword and not arg.star]
        if isinstance(value, cst.Lambda):
            body = value.body
            if not isinstance(body, cst.Call):
                return None
            inner = [p.name.value for p in value.params.params]
            return self._callback_target(body, lambda expr: self._from_caller(expr, outer, dict(zip(inner, here))))
        if isinstance(value, cst.Call) and self.flow.model.qualname(value.func) == "functools.partial" and value.args \
                and value.args[0].keyword is None and not any(a.star for a in value.args):
            fixed = list(value.args[1:])  # (its keywords after the arguments the call adds, as Python binds them)
            given = cst.Call(func=value.args[0].value, args=[*(a for a in fixed if a.keyword is None),
                                                             *(cst.Arg(v) for v in here),
                                                             *(a for a in fixed if a.keyword is not None)])
            return self._callback_target(given, lambda expr: self._from_caller(expr, outer, {}, here))
        if isinstance(value, cst.Name):
            function = self.flow.model.functions.get(value.value)
            if function is None or self.flow.model.binding(value.value, None) is not None:
                return None
            summary = self.flow.a.summary(function)
            if summary is None:
                return None
            params = positional_names(function)
            return (self.flow.a, function), [(p, a) for p, a in zip(params, here) if p in summary.params]
        return None

    def _callback_target(self, body: cst.Call, translate):
        target = self.flow.a.callees.callee(body) if self.flow.model.parent(body) is not None else self._named_callee(body)
        if target is None:
            return None
        analysis, function = target
        summary = analysis.summary(function)
        if summary is None:
            return None
        bound = []
        for param, arg in bind(body, list(summary.params), self.flow.model, self.flow.scope).values.items():
            mapped = translate(arg)
            if mapped is not None:
                bound.append((param, mapped))
        return target, bound

    def _named_callee(self, body: cst.Call):
        func = body.func
        if isinstance(func, cst.Name) and func.value in self.flow.model.functions:
            return self.flow.a, self.flow.model.functions[func.value]
        return None

    def _from_caller(self, expr: cst.BaseExpression, outer: dict, inner: dict, passed=()) -> cst.BaseExpression | None:
        """An argument written in the caller (or the lambda), as this function sees it: a lambda parameter is
        what this call passes; a caller's variable is this function's parameter the caller gives it."""
        if any(expr is v for v in passed):
            return expr
        key = key_of(expr)
        if key is None:
            return None
        root, dot, rest = key.partition(".")
        if root in inner:
            return inner[root] if not rest else None
        for param, given in outer.items():
            if key_of(given) == root:
                return key_expression(param + dot + rest)
        return None

