"""The mode effects of a function, in the order its calls run: BatchNorm layers frozen (put in eval),
modules put back in training mode, modules run (a forward pass or a training step).

A walk from a function applies them to the state of its modules and finds each ``.train()`` that undoes a
freeze before the module runs again (:class:`Reset`). A call of this file's function applies that function's
summary, its effects worked out once (:meth:`FreezeResets.summary`) and mapped to the call's arguments.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.freezing.call_keys import (
    decided_flag, literal_code, owners_in_caller, rebind, resolve_conditions, to_eval as _to_eval, trains as _trains,
)
from bn_lint.semantic.modes.keys import key_of
from bn_lint.semantic.freezing.guards import contradicts, rebind_guards, refrozen_by_forward, test_guard
from bn_lint.semantic.knowledge.library_models import fitted_by_trainer
from bn_lint.semantic.knowledge.training_steps import STEP_METHODS
from bn_lint.semantic.project.declared_versions import lightning_fit_keeps_modes
from bn_lint.semantic.syntax.module_walks import walked_call
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.freezing.reset_by_train import FreezeResets

_MODULE_LOOPS = frozenset({"modules", "named_modules", "children", "named_children"})
# methods of a module that do not run it
_MODULE_METHODS = frozenset({
    "parameters", "named_parameters", "buffers", "named_buffers", "modules", "named_modules", "children",
    "named_children", "state_dict", "load_state_dict", "to", "cuda", "cpu", "float", "half", "double", "type",
    "zero_grad", "eval", "apply", "requires_grad_", "register_buffer", "register_parameter", "add_module",
    "register_forward_hook", "register_forward_pre_hook", "get_submodule", "extra_repr", "share_memory",
})


@dataclass
class Reset:
    """``.train()`` at ``train`` undoes the BatchNorm freeze at ``freeze`` of ``key`` before ``run``."""

    train: cst.Call
    freeze: cst.CSTNode
    key: str
    run: cst.CSTNode
    via: list[cst.Call] = field(default_factory=list)  # the calls of this file that lead to ``train``


class ModeEvents:
    """The mode effects of one function's calls, in the order they run: applied to the modules' state
    (frozen, put back in training mode, run) where a walk starts, or recorded as a summary for its callers."""

    def __init__(self, owner: "FreezeResets", func: cst.FunctionDef | None, events: list | None = None) -> None:
        self.o = owner
        self.model = owner.model
        self.func = func
        self.events = events  # a summary being recorded: the effects in order, keys in ``func``'s terms
        self.frozen: dict[str, cst.CSTNode] = {}  # key -> the freeze in force
        self.frozen_guards: dict[str, tuple] = {}  # key -> the attribute flags its freeze ran under (:mod:`.guards`)
        self.assumed: list[tuple[str, bool]] = []  # the attribute flags of the ``if`` arms being walked
        self.pending: dict[str, tuple[cst.Call, cst.CSTNode, list]] = {}  # key -> (train(), freeze, via)
        self.found: list[Reset] = []
        self.aliases: dict[str, str] = {}  # a name -> the key of the module assigned to it (`net = model`)
        self.flags: dict = {}  # a local flag -> its value for the call walked (`is_train = phase == "train"`)

    def block(self, statements, bind: dict, via: list) -> None:
        for statement in statements:
            self.statement(statement, bind, via)

    def statement(self, node: cst.CSTNode, bind: dict, via: list) -> None:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return
        if isinstance(node, cst.For) and module_loop_owner(node, self.model) is not None \
                and self.func is not None and any(f.node is not None and any(a is node for a in self.model.ancestors(f.node))
                                                  for f in self.o.direct_freezes(self.func)):
            owner = rebind(module_loop_owner(node, self.model), bind)
            if owner is not None:
                self._freeze(owner, node)  # `for m in model.modules(): if isinstance(m, BatchNorm2d): m.eval()`
                return
        if isinstance(node, (cst.For, cst.While)):
            head = node.iter if isinstance(node, cst.For) else node.test
            self.calls(head, bind, via)
            for _ in range(2):  # (twice: what the end of one pass leaves, the next pass meets)
                self.block(suite(node.body), bind, via)
            return
        if isinstance(node, cst.If):
            self.calls(node.test, bind, via)
            known = bind.get(node.test.value) if isinstance(node.test, cst.Name) else None
            if known in ("True", "False", "None"):  # (a flag the call passes: `Frozen(freeze_bn=False)`)
                branch = node.body if known == "True" else node.orelse
                if isinstance(branch, cst.If):
                    self.statement(branch, bind, via)
                elif branch is not None:
                    self.block(suite(branch.body), bind, via)
                return
            guard = test_guard(self.model, node.test)
            guard = rebind_guards((guard,), bind) if guard is not None else ()
            self._arm(suite(node.body), bind, via, guard)
            if node.orelse is not None:
                other = node.orelse
                negated = tuple((path, not outcome) for path, outcome in guard)
                self._arm([other] if isinstance(other, cst.If) else suite(other.body), bind, via, negated)
            return
        if isinstance(node, (cst.With, cst.Try)):
            for item in getattr(node, "items", ()):
                self.calls(item.item, bind, via)
            self.block(suite(node.body), bind, via)
            for handler in getattr(node, "handlers", ()):
                self.block(suite(handler.body), bind, via)
            return
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self.calls(small, bind, via)
                if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                        and isinstance(small.targets[0].target, cst.Name):  # (`is_train = phase == "train"`)
                    self._flag(small.targets[0].target.value, small.value, bind)
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and self.events is None \
                        and isinstance(small.targets[0].target, cst.Name):  # (the walked function's own names)
                    self._alias(small.targets[0].target.value, key_of(small.value))
            return
        if isinstance(node, cst.BaseSmallStatement):
            self.calls(node, bind, via)
            return
        for child in suite(getattr(node, "body", None)):
            self.statement(child, bind, via)

    def _arm(self, statements, bind: dict, via: list, guard: tuple) -> None:
        """One arm of an ``if``, walked with its attribute flag assumed."""
        self.assumed.extend(guard)
        try:
            self.block(statements, bind, via)
        finally:
            del self.assumed[len(self.assumed) - len(guard):]

    def _flag(self, name: str, value: cst.BaseExpression, bind: dict) -> None:
        """A local assigned a test the call decides (``is_train = phase == "train"``, ``phase`` given "train")."""
        decided = decided_flag(value, bind, self.flags)
        if decided is None:
            self.flags.pop(name, None)
        else:
            self.flags[name] = decided

    def _mode_flag(self, call: cst.Call, bind: dict) -> bool | None:
        """The mode ``m.train(flag)`` sets where the call of the walked function decides ``flag``
        (``net.train(train)`` given ``True``), or None."""
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "train") or len(call.args) != 1 \
                or call.args[0].keyword is not None and call.args[0].keyword.value != "mode":
            return None  # (`model.requires_grad_(False)` is no mode)
        return decided_flag(call.args[0].value, bind, self.flags)

    def calls(self, node: cst.CSTNode, bind: dict, via: list) -> None:
        """The calls in ``node``, innermost (arguments) first."""
        calls = [n for n in walk(node) if isinstance(n, cst.Call)]
        for call in reversed(calls):
            self.call(call, bind, via)

    def call(self, call: cst.Call, bind: dict, via: list) -> None:
        f = call.func
        if isinstance(f, cst.Attribute):
            receiver = rebind(key_of(f.value), bind) if key_of(f.value) is not None else None
            method = f.attr.value
            if receiver is not None and method == "train" and (_trains(call) or self._mode_flag(call, bind)):
                if not self.o.refreezes_on_train(receiver, self.func):
                    self._train(call, receiver, via)
                return
            if method in STEP_METHODS:
                self._run(call, None)
                return
            if receiver is not None and (_to_eval(call) or self._mode_flag(call, bind) is False):
                self._refreeze(receiver, call)  # `model.backbone.eval()` after `model.train()`: frozen again
                return
            model = fitted_by_trainer(call)
            if model is not None and key_of(model) is not None:
                fitted = rebind(key_of(model), bind)  # Lightning's `trainer.fit(model)`: train(), then steps
                if fitted is not None:
                    if not lightning_fit_keeps_modes(self.model):  # (Lightning >= 2.2, declared, keeps the modes)
                        self._train(call, fitted, via)
                    self._run(call, fitted)
                return
            if receiver is not None and method == "forward":
                self._run(call, receiver)
                return
            if receiver is not None and method == "apply" and len(call.args) == 1 \
                    and self.o.bn_eval_function(call.args[0].value):
                self._freeze(receiver, call)  # `model.backbone.apply(set_bn_eval)`
                return
            if method in _MODULE_METHODS:
                return  # (a method of the module, not a forward pass)
        target = self.o.callee_of(call, self.func)
        if target is not None:
            callee, callee_bind = target
            freezes = self.o.freezes_at(call, callee)
            local = {param: ([k for k in map(lambda c: rebind(c, bind), code) if k] if isinstance(code, list)
                             else code if code == "<new>" or literal_code(code) else rebind(code, bind))
                     for param, code in callee_bind.items()}
            if "self" in local and local["self"] == "<new>":
                local["self"] = self._assigned_to(call, bind) or "<new>"
            applied = False
            for freeze in freezes:
                held = resolve_conditions(freeze.conditions, callee_bind, callee)
                if held is None:
                    continue
                for owner in owners_in_caller(freeze.owner, local):
                    self._freeze(owner, freeze.node, rebind_guards(freeze.guards, local))
                    applied = True
            if not applied and callee is not self.func and callee not in self.o.foreign:
                # (this file's code only: the callee's summary, its effects mapped to this call's arguments)
                for event in self.o.summary(callee, local):
                    self._replay(event, local, via + [call])
            return
        key = key_of(f)
        if key is not None:
            self._run(call, rebind(key, bind))

    def _assigned_to(self, call: cst.Call, bind: dict) -> str | None:
        parent = self.model.parent(call)
        while isinstance(parent, cst.Call) or (isinstance(parent, cst.Attribute) and parent.attr.value in ("to", "cuda")):
            parent = self.model.parent(parent)
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = key_of(parent.targets[0].target)
            return rebind(target, bind) if target is not None else None
        return None

    def _alias(self, name: str, value: str | None) -> None:
        """``net = model``: ``name`` is the module ``value`` holds from here on; assigned anything else, its own."""
        self.aliases.pop(name, None)
        if value is not None and self._same(value) != name:
            self.aliases[name] = self._same(value)

    def _same(self, key: str) -> str:
        """``key`` through the names that alias its root (``net.head`` for ``model.head`` after ``net = model``)."""
        root, dot, rest = key.partition(".")
        return self.aliases[root] + dot + rest if root in self.aliases else key

    def _replay(self, event: tuple, local: dict, via: list) -> None:
        """One effect of a callee's summary, its keys in this call's terms (``local``: the callee's parameters)."""
        kind, key, node, inner, guards = event
        guards = rebind_guards(guards, local)
        mapped = owners_in_caller(key, local) if kind in ("freeze", "refreeze") else [rebind(key, local)]
        for one in mapped:
            if kind == "run":
                self._run(node, one)
            elif one is None:
                continue  # (a module the call gives no key for)
            elif kind == "freeze":
                self._freeze(one, node, guards)
            elif kind == "refreeze":
                self._refreeze(one, node)
            else:
                self._train(node, one, via + inner, guards)

    def _refreeze(self, receiver: str, call: cst.Call) -> None:
        if self.events is not None:
            self.events.append(("refreeze", receiver, call, [], tuple(self.assumed)))
            return
        receiver = self._same(receiver)
        for key in [k for k in self.pending if k == receiver or k.startswith(receiver + ".")]:
            self._freeze(key, call)

    def _freeze(self, key: str, node: cst.CSTNode, guards: tuple = ()) -> None:
        if self.events is not None:
            self.events.append(("freeze", key, node, [], guards + tuple(self.assumed)))
            return
        key = self._same(key)
        self.frozen[key] = node
        self.frozen_guards[key] = guards + tuple(self.assumed)
        for other in [k for k in self.pending if k == key or k.startswith(key + ".")]:
            del self.pending[other]

    def _train(self, call: cst.Call, key: str, via: list, guards: tuple = ()) -> None:
        if self.events is not None:
            self.events.append(("train", key, call, list(via), guards + tuple(self.assumed)))
            return
        key = self._same(key)
        under = guards + tuple(self.assumed)
        for frozen, node in list(self.frozen.items()):
            if contradicts(self.frozen_guards.get(frozen, ()), under) or refrozen_by_forward(self.model, node):
                continue  # (never on one path with the freeze; or frozen again by its class's `forward`)
            if frozen == key or frozen.startswith(key + "."):
                self.pending[frozen] = (call, node, via)
                del self.frozen[frozen]

    def _run(self, call: cst.Call, key: str | None) -> None:
        if self.events is not None:
            self.events.append(("run", key, call, [], tuple(self.assumed)))
            return
        key = self._same(key) if key is not None else None
        for frozen, (train, node, via) in list(self.pending.items()):
            if key is None or key == frozen or frozen.startswith(key + ".") or key.startswith(frozen + "."):
                self.found.append(Reset(train, node, frozen, call, list(via)))
                del self.pending[frozen]


def without_repeats(events: list[tuple]) -> list[tuple]:
    """``events`` less each one that repeats the one before it (a second such effect changes nothing)."""
    return [event for i, event in enumerate(events)
            if i == 0 or (event[:3], event[4]) != (events[i - 1][:3], events[i - 1][4])]


def suite(body) -> list:
    """The statements of a block (an indented block, or the one-line suite after ``:``)."""
    if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)):
        return list(body.body)
    return []


def module_loop_owner(loop: cst.For, model=None) -> str | None:
    """``model`` in ``for m in model.modules():`` (or ``named_modules()``, ``children()``; also through a local
    name bound once to it, or a DDP-or-plain choice, where ``model``, the file, is given)."""
    def bound_value(name: str) -> cst.BaseExpression | None:
        bound = model.bindings(name, model.scope_of(loop)) if model is not None else None
        return bound[0][0] if bound is not None and len(bound[0]) == 1 else None

    it = walked_call(loop.iter, bound_value)
    if it is not None and it.func.attr.value in _MODULE_LOOPS:
        return key_of(it.func.value)
    return None
