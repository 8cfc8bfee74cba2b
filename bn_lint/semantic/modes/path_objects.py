"""Which object a name holds on which path, where the mode flow joins paths: a parameter the function rebinds to
another object (``Fact.local``), an ``.eval()`` on a branch the code may skip (``Fact.optional``), a branch binding
the name to a call out of sight. A bug on one visible path is a bug (RULES.md, Evidence): these keep the paths apart."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst

from .state import EVAL, UNKNOWN_MODE, Fact, State

if TYPE_CHECKING:  # pragma: no cover
    from .flow import _Flow

# a path on which a parameter's name was rebound to another object: ``state[REBOUND + name]``
REBOUND = "\0rebound:"
REBOUND_HERE = frozenset({Fact(UNKNOWN_MODE, why="rebound")})


def path_facts(flow: "_Flow", state: State, key: str, facts: frozenset) -> frozenset:
    """``facts`` set on ``key``, marked for the path they hold on: on a path where ``key`` is a parameter the
    function rebound, the mode of that other object (``local``); an ``.eval()`` the code may skip (``optional``)."""
    if state.get(REBOUND + key) == REBOUND_HERE:
        facts = frozenset(replace(f, local=True) for f in facts)
    if any(f.mode == EVAL and f.why == "eval()" for f in facts) and optional_branch(flow.model, next(iter(facts)).node):
        facts = frozenset(replace(f, optional=True) for f in facts)
    elif facts and all(f.mode == EVAL and f.why == "helper" for f in facts) \
            and len({f.node for f in facts}) == 1 and optional_branch(flow.model, next(iter(facts)).node, helper=True):
        # (a helper that leaves the model in eval, called on a branch the code may skip: `if opt.validate and i %
        # k == 0: val(net)`; past it the path that skips it keeps the mode the module had)
        facts = frozenset(replace(f, optional=True) for f in facts)
    return facts


def alternative_out_of_sight(flow: "_Flow", name: str, value: cst.BaseExpression | None) -> bool:
    """Whether ``name = value`` binds, on one branch of an ``if``, a call bn-lint cannot follow (``minkunet(m)``,
    an undefined name; ``m.determinize()``) where another branch builds the model: on its own path the name
    holds an object of unknown mode, which does not make the other path's mode unknown."""
    model = flow.model
    if not isinstance(value, cst.Call) or flow.a.callees.callee(value) is not None \
            or model.qualname(value.func) not in (None, model.code(value.func)):
        return False
    branch = next((a for a in model.ancestors(value) if isinstance(a, (cst.If, cst.FunctionDef, cst.Module))), None)
    bound = model.bindings(name, flow.scope)
    if not isinstance(branch, cst.If) or bound is None:
        return False
    return any(isinstance(v, cst.Call) and (flow.a.callees.callee(v) is not None or flow.values.builds_module(v))
               for v in bound[0] if v is not value)


# a test on a flag that chooses a mode, a phase or a BatchNorm treatment: an `.eval()` under it is the code's choice
_MODE_WORDS = re.compile(r"(?i)train|eval|test|valid|val_|infer|predict|mode|phase|bn|batch_?norm|freez|frozen|"
                         r"fine_?tun|finetun|stage|dropout|determin|deploy|export|demo|inference")


def optional_branch(model, node, helper: bool = False) -> "cst.If | None":
    """The ``if`` whose arm holds ``node`` (the nearest, in the same function) when the code may take another way
    past it, its test on no flag of a mode or phase: no ``else`` (``if resume:``, ``if args.checkpoint:``), or an
    other arm that puts the same module in training mode (``if cfg.SHOT: model.train() ... else: model.eval()``).
    For the call of a ``helper`` that leaves the module in eval, a test on a validation flag or period counts too
    (``if opt.valid and i % opt.val_every == 0: validate(net)``): the helper's own job is not to choose a mode."""
    child = node
    for ancestor in model.ancestors(node) if node is not None else ():
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.For, cst.While, cst.With, cst.Try)):
            return None
        if isinstance(ancestor, cst.If):
            if not helper and _MODE_WORDS.search(model.code(ancestor.test)) or _tests_receiver(model, ancestor.test, node) \
                    or helper and "__name__" in model.code(ancestor.test):
                return None  # (for a helper: not the script's entry, `if __name__ == "__main__":`, which is what it runs)
            if ancestor.orelse is not None and not _other_arm_trains(model, ancestor, child, node):
                return None
            return ancestor
        child = ancestor
    return None


def in_else_arm(branch: cst.If, child_or_node: cst.CSTNode, model) -> bool:
    """Whether ``child_or_node`` lies in the ``else``/``elif`` arm of ``branch``."""
    return branch.orelse is not None and any(a is branch.orelse for a in (child_or_node, *model.ancestors(child_or_node)))


def _other_arm_trains(model, branch: cst.If, child: cst.CSTNode, call: cst.CSTNode) -> bool:
    """Whether the arm of ``branch`` that does not hold ``child`` calls ``.train()`` on the receiver of ``call``."""
    other = branch.body if in_else_arm(branch, child, model) else branch.orelse
    func = call.func if isinstance(call, cst.Call) else None
    if other is None or not isinstance(func, cst.Attribute):
        return False
    receiver = model.code(func.value)
    return re.search(rf"(?<![\w.]){re.escape(receiver)}\.train\(\s*(True)?\s*\)", model.code(other)) is not None


def _tests_receiver(model, test: cst.BaseExpression, call) -> bool:
    """Whether ``test`` reads the module ``call`` puts in eval (``if isinstance(net, nn.Module): net.eval()``,
    ``if model is not None``): a guard on that very object, which holds whenever it is a module."""
    func = call.func if isinstance(call, cst.Call) else None
    receiver = func.value if isinstance(func, cst.Attribute) else None
    while isinstance(receiver, (cst.Attribute, cst.Subscript, cst.Call)):
        receiver = receiver.func if isinstance(receiver, cst.Call) else receiver.value
    return isinstance(receiver, cst.Name) and re.search(rf"\b{re.escape(receiver.value)}\b", model.code(test)) is not None
