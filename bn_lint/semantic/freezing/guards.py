"""Guards: the attribute flags a freeze or a ``.train()`` runs under (``if args.freeze_backbone:``, the ``else``
of ``if self.cfg.freeze:``), so that two effects under opposite outcomes of one flag are never taken for one path.

A guard is ``(access path, outcome)``. Only attribute paths count (plain names are the call-decided flags of
:func:`.call_keys.resolve_conditions`), and only those whose attribute this file never assigns: a flag read from a
config object, not state that changes between the two effects. A freeze made in ``__init__`` under
``args.freeze`` is seen from the class's other methods as ``self.args.freeze`` when ``__init__`` stores
``self.args = args`` and nothing else assigns ``self.args``.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.freezing.call_keys import bind_keys, rebind, to_eval
from bn_lint.semantic.modes.conditions import attribute_flag
from bn_lint.semantic.modes.keys import key_of
from bn_lint.semantic.file.classes import class_of_method

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

Guards = tuple[tuple[str, bool], ...]


def test_guard(model: "FileModel", test: cst.BaseExpression) -> tuple[str, bool] | None:
    """``(path, outcome)`` for a test that is an attribute flag (``args.freeze``, ``not self.cfg.freeze``)
    whose attribute the file never assigns; None otherwise."""
    flag = attribute_flag(test)
    if flag is None or _assigned(model, flag[0].rpartition(".")[2]):
        return None
    return flag


def guards_of(model: "FileModel", node: cst.CSTNode, func: cst.CSTNode | None) -> Guards:
    """The guards of the ``if`` arms around ``node``, up to ``func``."""
    found = []
    child = node
    for ancestor in model.ancestors(node):
        if ancestor is func:
            break
        if isinstance(ancestor, cst.If) and child is not ancestor.test:
            guard = test_guard(model, ancestor.test)
            if guard is not None:
                found.append((guard[0], guard[1] if ancestor.body is child else not guard[1]))
        child = ancestor
    return tuple(found)


def rebind_guards(guards: Guards, bind: dict) -> Guards:
    """``guards`` in a caller's terms (a path whose root the call gives no key is dropped: it is open there)."""
    out = []
    for path, outcome in guards:
        mapped = rebind(path, bind)
        if mapped is not None and "." in mapped:
            out.append((mapped, outcome))
    return tuple(out)


def contradicts(guards: Guards, assumed: Guards) -> bool:
    """Whether an effect under ``guards`` cannot run where ``assumed`` holds (one flag, opposite outcomes)."""
    return any((path, not outcome) in assumed for path, outcome in guards)


def in_self_terms(model: "FileModel", guards: Guards, init: cst.FunctionDef) -> Guards:
    """``__init__``'s guards as the class's other methods read them: a path rooted in a parameter that
    ``__init__`` stores once as ``self.<attr>`` is read through it; one rooted in ``self`` stays."""
    info = class_of_method(model, init)
    if info is None:
        return ()
    stored = {}
    for attr, assignments in info.attributes.items():
        if len(assignments) == 1 and isinstance(assignments[0][0], cst.Name):
            stored.setdefault(assignments[0][0].value, "self." + attr)
    out = []
    for path, outcome in guards:
        root, _, rest = path.partition(".")
        if root == "self":
            out.append((path, outcome))
        elif root in stored:
            out.append((f"{stored[root]}.{rest}", outcome))
    return tuple(out)


def refrozen_by_forward(model: "FileModel", freeze: cst.CSTNode, key: str | None = None) -> bool:
    """Whether the freeze at ``freeze`` (in a method of a class of this file) is made again by the class's
    ``forward`` before each run: a ``self.<part>.eval()`` there, under guards that the freeze's own (read in
    the class's terms) include, of the part frozen: ``freeze``'s receiver when it is ``self.<part>.eval()``,
    else the part that ``key`` (the frozen module in any terms, ``model.encoder.backbone``) ends with."""
    func = next((a for a in model.ancestors(freeze) if isinstance(a, cst.FunctionDef)), None)
    info = class_of_method(model, func)
    evals = model.analysis(_forward_evals).get(info.name) if info is not None else None
    if not evals or info.methods.get("forward") is func:
        return False
    part = key_of(freeze.func.value) if isinstance(freeze, cst.Call) and isinstance(freeze.func, cst.Attribute) \
        and to_eval(freeze) else None
    guards = set(in_self_terms(model, guards_of(model, freeze, func), func) if func.name.value == "__init__"
                 else guards_of(model, freeze, func))
    return any(set(needed) <= guards and (evaluated == part or part is None and key is not None
                                          and (key + ".").endswith(evaluated[4:] + "."))
               for evaluated, needed in evals)


def _forward_evals(model: "FileModel") -> dict[str, list[tuple[str, Guards]]]:
    """Per class of the file, the parts of ``self`` its ``forward`` puts in eval, each with the guards it runs under
    (worked out once per file)."""
    found: dict[str, list[tuple[str, Guards]]] = {}
    for info in model.classes.values():
        forward = info.methods.get("forward")
        for call in model.nodes_of(forward, cst.Call) if forward is not None else ():
            evaluated = key_of(call.func.value) if to_eval(call) else None
            if evaluated is not None and evaluated.startswith("self."):
                found.setdefault(info.name, []).append((evaluated, guards_of(model, call, forward)))
    return found


def on_the_freeze_path(model: "FileModel", facts: frozenset, freeze: cst.CSTNode, holder: "FileModel",
                       through: cst.CSTNode) -> frozenset:
    """The mode facts of a module frozen at ``freeze`` (in ``holder``) that may hold on the path of the freeze, seen
    at ``through`` (the freezing statement itself, or the call of this file that makes it: a constructor, a helper):
    less the ``.train()`` calls of ``through``'s function under a flag outcome the freeze's guards contradict, and
    less being built in training mode when the freeze puts the frozen part in eval under its own guards."""
    func = _function_of(holder, freeze)
    guards = guards_of(holder, freeze, func)
    here = _function_of(model, through)
    if holder is not model or freeze is not through:
        if not isinstance(through, cst.Call) or func is None:
            return facts
        receiver = "<new>" if func.name.value == "__init__" else \
            key_of(through.func.value) if isinstance(through.func, cst.Attribute) else None
        bind = bind_keys(through, func, receiver)
        guards = rebind_guards(guards, bind) + guards_of(model, through, here)
    evaluated = _evaluated_with(holder, freeze, func)
    out = set()
    for fact in facts:
        node = getattr(fact, "node", None)
        if fact.why == "built" and evaluated:
            continue  # (built in training mode, then the freeze's own `.eval()`)
        if fact.why == "train()" and node is not None and _function_of(model, node) is here \
                and contradicts(guards_of(model, node, here), guards):
            continue
        out.add(fact)
    return frozenset(out)


def _evaluated_with(model: "FileModel", freeze: cst.CSTNode, func: cst.FunctionDef | None) -> bool:
    """Whether the function that freezes at ``freeze`` (``for p in self.backbone.parameters(): p.requires_grad =
    False``) puts that module in eval under the freeze's guards (``self.backbone.eval()`` beside it)."""
    loop = next((a for a in model.ancestors(freeze) if isinstance(a, cst.For)), None)
    called = loop.iter if loop is not None else freeze
    while isinstance(called, cst.Call) and isinstance(called.func, cst.Attribute):
        called = called.func.value  # (`self.backbone.parameters()`, `self.backbone.requires_grad_(False)`)
    part = key_of(called) if isinstance(called, (cst.Name, cst.Attribute)) else None
    if part is None or func is None:
        return False
    guards = set(guards_of(model, freeze, func))
    return any(to_eval(call) and key_of(call.func.value) == part and set(guards_of(model, call, func)) <= guards
               for call in model.nodes_of(func, cst.Call))


def _function_of(model: "FileModel", node: cst.CSTNode) -> cst.FunctionDef | None:
    return next((a for a in model.ancestors(node) if isinstance(a, cst.FunctionDef)), None)


def _assigned(model: "FileModel", attr: str) -> bool:
    """Whether the file's text assigns an attribute ``attr`` (``x.attr = ...``, ``x.attr += ...``)."""
    return re.search(rf"\.{re.escape(attr)}\s*(?:[-+*/|&]?=)(?!=)", model.source) is not None
