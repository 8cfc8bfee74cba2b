"""Runs of a module without gradients (under ``no_grad``, or its output detached) in a loop that trains
another: a frozen encoder's forward in a linear probe, a fixed teacher's in distillation. In training mode
its BatchNorm statistics still move."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from .keys import key_of, key_root
from .output_reads import detached
from .state import State, TRAIN, _lookup, _set

if TYPE_CHECKING:  # pragma: no cover
    from .flow import _Flow


def gradient_free_run(flow: "_Flow", call: cst.Call, key: str, facts: frozenset, state: State) -> None:
    """``key`` run at ``call`` without gradients: watched at this step when this function froze it; a part of
    a parameter (``self.teacher``) run in the training mode this function set is one of its part steps,
    for callers that froze it."""
    frozen = any(reason == "frozen" and watched == key for watched, reason in flow.watch.values())
    if not frozen and key in flow.params and (flow.a.steps.under_no_grad(call) or detached(flow.model, call)) \
            and _in_training_step(flow, key, call):
        # (a step helper given the frozen model, or reading it as a global: `with no_grad: coarse = model(x)`, then a
        # backward and a step of another module; its callers watch it at the call: `Summary.fixed_runs`)
        flow.fixed_runs[key] = flow.fixed_runs.get(key, frozenset()) | facts
    part = not frozen and "." in key and key_root(key) in flow.params and {f.mode for f in facts} == {TRAIN}
    if not (frozen or part) or not (flow.a.steps.under_no_grad(call) or detached(flow.model, call)) \
            or not fixed_run_in_training(flow, key, call):
        return
    if frozen:
        flow.uses.watch_training(call, key, state)
    else:
        flow.part_stepped[key] = flow.part_stepped.get(key, frozenset()) | facts


def fixed_run_in_training(flow: "_Flow", key: str, call: cst.Call) -> bool:
    """``key`` run at ``call`` in a loop that trains another module, and not updated there (not a teacher
    whose weights the loop updates: ``ema_p.mul_(...)`` over its ``parameters()``, or handed to a helper)."""
    region = flow.a.region(call)
    if not isinstance(region, (cst.For, cst.While)) or not flow.uses.trains_here(region):
        return False
    for node in flow.model.nodes_of(region, cst.Call):
        if node is call:
            continue
        func = node.func
        if isinstance(func, cst.Attribute) and key_of(func.value) == key and func.attr.value not in ("eval", "train", "forward"):
            return False  # `teacher.parameters()`, `teacher.load_state_dict(...)`: updated here
        if any(key_of(arg.value) == key for arg in node.args):
            return False  # `update_ema(teacher, student)`
    return True


def _in_training_step(flow: "_Flow", key: str, call: cst.Call) -> bool:
    """``key`` run at ``call`` in a loop that trains another module (``fixed_run_in_training``), or in a function
    that itself takes the training step after it (a step helper with no loop of its own)."""
    region = flow.a.region(call)
    if isinstance(region, cst.FunctionDef):
        return flow.uses.trains_here(region) and any(
            flow.a.order(step) > flow.a.order(call) for step in flow.a.steps.training_calls(region, direct=True))
    return fixed_run_in_training(flow, key, call)


def watch_fixed_run(flow: "_Flow", call: cst.Call, param: str, arg: cst.BaseExpression, summary, analysis,
                    state: State) -> None:
    """At a call of a helper that runs a module it is given without gradients in its training step of another
    (``Summary.fixed_runs``): where the caller froze that module, it is watched at the call, in the mode the helper
    runs it in; a module the caller was given is such a run of the caller's too (any number of calls deep)."""
    facts, key = summary.fixed_runs.get(param), key_of(arg)
    if facts is None or key is None:
        return
    during = dict(state)
    _set(during, key, flow.helper_calls.translate(facts, _lookup(state, key), call, summary, analysis))
    if key in flow.params:  # (two calls deep: `main()` runs `train_step()` in its loop)
        flow.fixed_runs[key] = flow.fixed_runs.get(key, frozenset()) | _lookup(during, key)
    if any(reason == "frozen" and watched == key for watched, reason in flow.watch.values()):
        flow.uses.watch_training(call, key, during)
