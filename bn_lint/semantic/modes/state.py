"""The mode lattice: a path's :class:`Fact`, a flow's ``State`` (key -> facts), and join / lookup / set on it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import libcst as cst

from bn_lint.semantic.nn_modules.bearing import ModelKind
from .keys import ANY_ENTRY, key_of, key_parent


TRAIN, EVAL, ENTRY, UNKNOWN_MODE = "train", "eval", "entry", "unknown"


@dataclass(frozen=True)
class Fact:
    """One path's mode for a variable, and where it came from."""

    mode: str
    node: Optional[cst.CSTNode] = None
    why: str = ""  # "built", "train()", "loaded", "helper"
    where: str = ""  # human text: "`.train()` at line 40"
    kind: Optional[ModelKind] = None
    # set on a module the function built in place of a parameter it rebinds (`if model is None: model = Net();
    # model.eval()`): on that path the name holds another object than the one the caller gave
    local: bool = False
    # an `.eval()` on a branch the code may skip, its test no mode flag (`if resume: model.eval()`): on the path
    # that skips it the module keeps the mode it had
    optional: bool = False


_OPAQUE = Fact(UNKNOWN_MODE)  # a mode code out of sight may have set (given to a call not followed)
_UNKNOWN = frozenset({_OPAQUE})
# added to a module's facts when a part of it changes mode (`self.model.eval()` marks `self`): the whole
# holds mixed modes, while its other parts keep the facts it had (``_lookup``)
_MIXED = Fact(UNKNOWN_MODE, why="mixed")
_ENTRY = frozenset({Fact(ENTRY)})
State = dict  # key -> frozenset[Fact]
_ANY_ENTRY_OF = re.compile(r"\[(?:'[^']*'|\d+)\](?=[^\[]*$)")  # the last constant subscript of a key


def _submodule_key(expr: cst.BaseExpression, state: State) -> str | None:
    """``key_of``, and ``getattr(model, name)``: ``model.conv1`` for a literal name, else ``model``
    itself while none of its parts is in another mode."""
    key = key_of(expr)
    if key is not None or not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name)
                               and expr.func.value == "getattr" and len(expr.args) == 2):
        return key
    owner = key_of(expr.args[0].value)
    name = expr.args[1].value
    if owner is None:
        return None
    if isinstance(name, cst.SimpleString) and str(name.evaluated_value).isidentifier():
        return f"{owner}.{name.evaluated_value}"
    modes = {fact.mode for fact in _lookup(state, owner)}
    return None if any(_child_of(k, owner) and {fact.mode for fact in v} != modes for k, v in state.items()) else owner


def _child_of(key: str, parent: str) -> bool:
    return key.startswith((parent + ".", parent + "["))


def _join(a: State | None, b: State | None) -> State | None:
    if a is None:
        return None if b is None else dict(b)
    if b is None:
        return dict(a)
    out = {}
    for key in a.keys() | b.keys():
        fa, fb = a.get(key), b.get(key)
        if fa is None or fb is None:
            # tracked on one path only: on the other it is whatever its parent is, or unknown
            fa = fa if fa is not None else _lookup(a, key)
            fb = fb if fb is not None else _lookup(b, key)
        out[key] = fa | fb
    return out


def _lookup(state: State, key: str) -> frozenset:
    """The facts of ``key``: its own, else its nearest tracked parent's, else unknown."""
    if key in state:
        return state[key]
    entry = _ANY_ENTRY_OF.sub(lambda _: ANY_ENTRY, key, count=1) if "[" in key else key  # (`self.nets['a']`: one of `self.nets[*]`)
    if entry != key and entry in state:
        return state[entry]
    parent = key_parent(key)
    while parent is not None:
        if parent in state:
            return (state[parent] - {_MIXED}) or _UNKNOWN  # (other parts' changes are not this one's)
        parent = key_parent(parent)
    return _UNKNOWN


def _set(state: State, key: str, facts: frozenset) -> None:
    for other in [k for k in state if _child_of(k, key)]:
        state[other] = facts
    state[key] = facts
    # a submodule's mode change makes its parents mixed (not a part set to the one mode they are in: a submodule
    # built into a model in training mode, `self.logits = Unit3D(...)`)
    modes = {f.mode for f in facts}
    parent = key_parent(key)
    while parent is not None:
        if parent in state and state[parent] != facts and not ({f.mode for f in state[parent]} == modes == {TRAIN}):
            state[parent] = state[parent] | {_MIXED}
        parent = key_parent(parent)


def _forget(state: State, key: str) -> None:
    for other in [k for k in state if k == key or _child_of(k, key)]:
        del state[other]


def _tracked(state: State, key: str) -> bool:
    return key in state or any(_child_of(key, k) for k in state)
