"""BatchNorm layers put in eval to freeze them, then back in training mode by ``.train()``.

``freeze_bn()`` (a loop over ``modules()`` that calls ``m.eval()`` on each BatchNorm,
or ``model.apply(set_bn_eval)``) holds only until the next ``model.train()``, which
sets every submodule's mode. This module finds, along the order the code runs
(loops walked twice, so a ``.train()`` at the top of the next epoch is seen; a call of
this file's functions, methods and constructors applies the callee's summary, worked out
once, its arguments standing for the parameters: :mod:`.mode_events`), a ``.train()`` of a module whose BatchNorm
layers were put in eval, followed by a forward pass or a training step before any
new freeze. Freezing helpers are found from their code: a BatchNorm test around the
``.eval()``, and the flag parameter it may run under (``if requires_grad: m.train()
else: m.eval()``), judged with the value each call passes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.freezing.class_parts import built_and_not_optimised, of_module_class
from bn_lint.semantic.freezing.call_keys import (
    bind_keys, literal_code, owners_in_caller, param_names, resolve_conditions, to_eval as _to_eval,
)
from bn_lint.semantic.modes.keys import key_of
from bn_lint.semantic.freezing.guards import Guards, guards_of, in_self_terms, rebind_guards
from bn_lint.semantic.freezing.mode_events import ModeEvents, Reset, module_loop_owner, suite, without_repeats
from bn_lint.semantic.project.definitions import project_builder, project_class
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel

_BATCHNORM_TEST = re.compile(r"BatchNorm|_NormBase|\bbn\b|_bn\b|\bBN\b")


@dataclass(frozen=True)
class Freeze:
    """A function's BatchNorm freeze: the module (code relative to its parameters / ``self``) and the
    flag conditions it runs under (parameter, value needed)."""

    owner: str
    node: cst.CSTNode
    conditions: tuple[tuple[str, bool], ...] = ()
    guards: Guards = ()  # the attribute flags it runs under (:mod:`.guards`)


class FreezeResets:
    """The BatchNorm freezes this file's functions make, and the ``.train()`` calls that undo them."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model
        self._freezes: dict[cst.FunctionDef, list[Freeze]] = {}
        self._computing: set[cst.FunctionDef] = set()
        self.foreign: dict[cst.FunctionDef, "FreezeResets"] = {}  # a helper of another file -> its file's freezes
        self._files: dict[str, "FreezeResets"] = {}  # another file's path -> its freezes
        self._summaries: dict[tuple, list[tuple]] = {}  # (function, deciding arguments) -> its effects
        self._computing_summaries: set[cst.FunctionDef] = set()

    def freezes_at(self, call: cst.Call, callee: cst.FunctionDef) -> list[Freeze]:
        """The freezes ``callee`` makes, run by ``call``: a helper of another file's, at ``call`` (its
        freezes are worked out in its own file; the call is where this file freezes)."""
        other = self.foreign.get(callee)
        if other is None:
            return self.freezes(callee)
        if callee.name.value == "__init__" and other.refreezes_on_train("self", callee):
            return []  # (a class whose `train()` freezes again: its instances stay frozen)
        return [Freeze(f.owner, call, f.conditions, f.guards) for f in other.freezes(callee)]

    # ------------------------------------------------------------------ freezes
    def freezes(self, func: cst.FunctionDef) -> list[Freeze]:
        """The BatchNorm freezes ``func`` makes, itself or through the functions of this file it calls."""
        if func in self._freezes:
            return self._freezes[func]
        if func in self._computing:
            return []
        self._computing.add(func)
        found = list(self.direct_freezes(func))
        for call in self.model.nodes_of(func, cst.Call):
            target = self.callee_of(call, func)
            if target is None or target[0] is func:
                continue
            callee, bind = target
            if bind.get("self") == "<new>":
                continue  # (a constructor: the walk sees what it freezes, under the name it is given)
            conditions = self._conditions(call, func)
            guards = guards_of(self.model, call, func)
            for freeze in self.freezes_at(call, callee):
                held = resolve_conditions(freeze.conditions, bind, callee)
                if held is None:
                    continue
                under = rebind_guards(freeze.guards, bind) + guards
                for owner in owners_in_caller(freeze.owner, bind):
                    found.append(Freeze(owner, freeze.node, held + conditions, under))
                target = _assigned_key(self.model, call)
                if target is not None and _returns(callee, freeze.owner):
                    found.append(Freeze(target, freeze.node, held + conditions, under))  # `self.model = fix_bn(model)`
        self._computing.discard(func)
        self._freezes[func] = found
        return found

    def direct_freezes(self, func: cst.FunctionDef) -> Iterator[Freeze]:
        model = self.model
        params = param_names(func)
        for loop in model.nodes_of(func, cst.For):
            owner = module_loop_owner(loop, model)
            if owner is None:
                continue
            element = self._element_of(loop, owner, params)
            owner = element or owner
            names = {n.value for n in walk(loop.target) if isinstance(n, cst.Name)}
            for call in model.nodes_of(loop.body, cst.Call):
                if _to_eval(call) and key_of(call.func.value) in names and self._under_bn_test(call, loop):
                    yield Freeze(owner, call, self._conditions(call, func), guards_of(model, call, func))
        module = of_module_class(self.model, func)
        if func.name.value in ("__init__", "train") and module or func.name.value == "__init__":  # `self.backbone.eval()`
            # while built (or in a `train()` override): a frozen part, BatchNorm included; in a plain class's
            # `__init__`, a model it builds itself and gives no optimizer (not one it is given)
            for call in model.nodes_of(func, cst.Call):
                owner = key_of(call.func.value) if isinstance(call.func, cst.Attribute) else None
                if _to_eval(call) and owner is not None and owner.startswith("self.") \
                        and not any(isinstance(a, cst.For) for a in _within(model, call, func)) \
                        and (module or built_and_not_optimised(self.model, func, owner)):
                    yield Freeze(owner, call, self._conditions(call, func), guards_of(model, call, func))
        for call in model.nodes_of(func, cst.Call):
            func_ = call.func
            if isinstance(func_, cst.Attribute) and func_.attr.value == "apply" and len(call.args) == 1 \
                    and self.bn_eval_function(call.args[0].value):
                owner = key_of(func_.value)
                if owner is not None:
                    yield Freeze(owner, call, self._conditions(call, func), guards_of(model, call, func))

    def _element_of(self, loop: cst.For, owner: str, params: list[str]) -> str | None:
        """``modules[]`` for ``module`` in ``for module in modules: for m in module.modules():`` over a
        parameter ``modules``: each module the caller lists."""
        root = owner.split(".")[0]
        for ancestor in self.model.ancestors(loop):
            if isinstance(ancestor, cst.FunctionDef):
                return None
            if isinstance(ancestor, cst.For) and isinstance(ancestor.target, cst.Name) \
                    and ancestor.target.value == root and isinstance(ancestor.iter, cst.Name) \
                    and ancestor.iter.value in params:
                return ancestor.iter.value + "[]" + owner[len(root):]
        return None

    def _under_bn_test(self, call: cst.Call, loop: cst.For) -> bool:
        for ancestor in self.model.ancestors(call):
            if ancestor is loop:
                return False
            if isinstance(ancestor, cst.If) and _BATCHNORM_TEST.search(self.model.code(ancestor.test)):
                return True
        return False

    def bn_eval_function(self, expr: cst.BaseExpression) -> bool:
        """``set_bn_eval`` of this file: ``def set_bn_eval(m): if isinstance(m, nn.BatchNorm2d): m.eval()``."""
        func = self.model.functions.get(expr.value) if isinstance(expr, cst.Name) else None
        if func is None or not func.params.params:
            return False
        name = func.params.params[0].name.value
        for call in self.model.nodes_of(func, cst.Call):
            if _to_eval(call) and key_of(call.func.value) == name and any(
                    isinstance(a, cst.If) and _BATCHNORM_TEST.search(self.model.code(a.test))
                    for a in self.model.ancestors(call)):
                return True
        return False

    def _conditions(self, node: cst.CSTNode, func: cst.FunctionDef) -> tuple[tuple[str, bool], ...]:
        """The tests on ``func``'s plain parameters (``if freeze_bn:``, ``else`` of ``if requires_grad:``)
        that ``node`` runs under."""
        params = param_names(func)
        found = []
        child = node
        for ancestor in self.model.ancestors(node):
            if ancestor is func:
                break
            if isinstance(ancestor, cst.If):
                test, negated = ancestor.test, False
                if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                    test, negated = test.expression, True
                if isinstance(test, cst.Name) and test.value in params:
                    in_body = ancestor.body is child
                    found.append((test.value, in_body != negated))
            child = ancestor
        return tuple(found)

    # ------------------------------------------------------------------- calls
    def callee_of(self, call: cst.Call, caller: cst.FunctionDef | None) -> tuple[cst.FunctionDef, dict] | None:
        """The function of this file ``call`` runs (a function, a method of ``self`` or of an instance
        of a class of this file, a constructor's ``__init__``), and its parameters bound to argument code."""
        model = self.model
        func = call.func
        target = None
        receiver = None
        if isinstance(func, cst.Name):
            if func.value in model.functions:
                target = model.functions[func.value]
            elif func.value in model.classes:
                target = model.classes[func.value].methods.get("__init__")
                receiver = "<new>"
            else:
                target = self._imported_helper(func)
                info = self._imported_class(func) if target is None else None
                if info is not None:  # (a class of another file: its `__init__` runs)
                    target, receiver = info.methods.get("__init__"), "<new>"
        elif isinstance(func, cst.Attribute):
            receiver = key_of(func.value)
            if receiver is None:
                return None
            if receiver == "self" and caller is not None:
                info = model.enclosing_class(model.scopes.get(caller).parent) if model.scopes.get(caller) else None
                target = info.methods.get(func.attr.value) if info is not None else None
            else:
                classes = self._classes_of(receiver, caller)
                target = next((c.methods[func.attr.value] for c in classes if func.attr.value in c.methods), None)
        if target is None:
            return None
        bind = bind_keys(call, target, receiver)
        return target, bind

    def _imported_helper(self, func: cst.Name) -> cst.FunctionDef | None:
        """The function of another project file an imported name runs (``from helpers import fix_bn``), its
        file's freezes kept in ``_foreign``; only a file whose text puts something in eval is parsed."""
        model = self.model
        if not _imported_from_a_file_setting_eval(model, func, "def"):
            return None
        found = project_builder(model, func)
        if found is None:
            return None
        self.foreign.setdefault(found[1], self._of_file(found[0]))
        return found[1]

    def _imported_class(self, func: cst.Name) -> "ClassInfo | None":
        """The class of another project file an imported name builds (``from nets import Detector``), its
        methods' freezes worked out in its file; only a file whose text puts something in eval is parsed."""
        model = self.model
        if not _imported_from_a_file_setting_eval(model, func, "class"):
            return None
        found = project_class(model, func)
        if found is None:
            return None
        for method in found[1].methods.values():
            self.foreign.setdefault(method, self._of_file(found[0]))
        return found[1]

    def _of_file(self, other: "FileModel") -> "FreezeResets":
        if other.path not in self._files:
            self._files[other.path] = FreezeResets(other)
        return self._files[other.path]

    def _classes_of(self, name: str, caller: cst.FunctionDef | None) -> list:
        """Classes of this file ``name`` is built from in ``caller`` (or at module level), or whose method
        names match: an instance of a class of this file."""
        model = self.model
        scope = model.scopes.get(caller) if caller is not None else model.module_scope
        if "." in name:
            return []
        assigned = model.bindings(name, scope) if scope is not None else None
        out = []
        if assigned is None and scope is not None and name in scope.params:
            return list(model.classes.values())  # (a parameter: any class of this file with that method)
        for value in (assigned[0] if assigned is not None else ()):
            while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                    and value.func.attr.value in ("to", "cuda", "cpu"):
                value = value.func.value
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
                info = model.classes.get(value.func.value) or self._imported_class(value.func)
                out.extend([info] if info is not None else [])
        return out

    def refreezes_on_train(self, receiver: str, func: cst.FunctionDef | None) -> bool:
        """Whether the class of ``receiver`` (any class of this file defining ``train`` when it is not
        known) overrides ``train()`` to put its own BatchNorm layers in eval again (a trainer's ``train()``
        that freezes the model it trains is no such override)."""
        classes = self._classes_of(receiver, func) if receiver != "self" else []
        if receiver == "self" and func is not None and self.model.scopes.get(func) is not None:
            info = self.model.enclosing_class(self.model.scopes[func].parent)
            classes = [info] if info is not None else []
        if not classes:
            classes = list(self.model.classes.values())
        return any(f.owner.split(".")[0] == "self" for info in classes if _overrides_train(info.methods.get("train"))
                   for f in self.foreign.get(info.methods["train"], self).freezes(info.methods["train"]))

    # ------------------------------------------------------------------ resets
    def resets(self) -> list[Reset]:
        """Every ``.train()`` that undoes a BatchNorm freeze before the module runs again."""
        found: dict[int, Reset] = {}
        if not any(self.freezes(f) for f in self._all_functions()) and not self._builds_frozen():
            return []
        roots: list[tuple[cst.CSTNode, cst.FunctionDef | None]] = [(self.model.module, None)]
        roots += [(f, f) for f in self._all_functions()]
        for node, func in roots:
            walker = ModeEvents(self, func)
            for freeze in self._held_from_init(func):  # (a method runs after `__init__` froze `self.<part>`)
                walker.frozen[freeze.owner] = freeze.node
                walker.frozen_guards[freeze.owner] = freeze.guards
            body = node.body if isinstance(node, cst.Module) else suite(node.body)
            walker.block(body, {}, [])
            for reset in walker.found:
                found.setdefault(id(reset.train), reset)
        return list(found.values())

    def summary(self, func: cst.FunctionDef, local: dict) -> list[tuple]:
        """What a call of ``func`` does to modes, in order: ``(kind, key, node, via)`` with ``kind`` one of
        freeze, refreeze, train, run, keys in ``func``'s terms. Worked out once per function and per the
        arguments that decide its branches (literals, modules given no key); a function met again on its own
        way (recursion) does nothing more."""
        decided = {name: code for name, code in local.items() if not isinstance(code, str) or literal_code(code)}
        memo = (func, tuple(sorted((name, tuple(code) if isinstance(code, list) else code)
                                   for name, code in decided.items())))
        if memo in self._summaries:
            return self._summaries[memo]
        if func in self._computing_summaries:
            return []
        self._computing_summaries.add(func)
        walker = ModeEvents(self, func, events=[])
        walker.block(suite(func.body), decided, [])
        self._computing_summaries.discard(func)
        self._summaries[memo] = without_repeats(walker.events)
        return self._summaries[memo]

    def _builds_frozen(self) -> bool:
        """Whether this file builds a class of another file whose ``__init__`` freezes BatchNorm."""
        for site in self.model.calls:
            func = site.node.func
            info = self._imported_class(func) if isinstance(func, cst.Name) and func.value in self.model.imports \
                and func.value not in self.model.functions and func.value not in self.model.classes else None
            init = info.methods.get("__init__") if info is not None else None
            if init is not None and self.freezes_at(site.node, init):
                return True
        return False

    def _held_from_init(self, func: cst.FunctionDef | None) -> list[Freeze]:
        """The freezes of ``self``'s parts that the class's ``__init__`` makes on every path (no open flag),
        for a method ``func`` other than ``__init__``."""
        info = self.model.class_of_method(func)
        init = info.methods.get("__init__") if info is not None else None
        if init is None or init is func or info.methods.get(func.name.value) is not func:
            return []
        return [Freeze(f.owner, f.node, (), in_self_terms(self.model, f.guards, init)) for f in self.freezes(init)
                if f.owner.split(".")[0] == "self" and not f.conditions]

    def _all_functions(self) -> list[cst.FunctionDef]:
        return [node for node in self.model.scopes if isinstance(node, cst.FunctionDef)]


def _overrides_train(method: cst.FunctionDef | None) -> bool:
    """Whether ``method`` may be ``nn.Module.train`` overridden: ``train(self)``, ``train(self, mode=True)``
    (a flag of another name defaulting to True), not a trainer's ``train(self, loader)``."""
    params = method.params.params[1:] if method is not None else []
    flag = params[0] if len(params) == 1 else None
    return method is not None and (not params or flag is not None and (flag.name.value == "mode" or (
        isinstance(flag.default, cst.Name) and flag.default.value == "True")))


def _assigned_key(model: "FileModel", call: cst.Call) -> str | None:
    parent = model.parent(call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        return key_of(parent.targets[0].target)
    return None


def _returns(func: cst.FunctionDef, key: str) -> bool:
    """Whether ``func`` gives back the module it froze (``return module``)."""
    return any(isinstance(node, cst.Return) and node.value is not None and key_of(node.value) == key
               for node in walk(func.body))


def _within(model: "FileModel", node: cst.CSTNode, func: cst.FunctionDef):
    for ancestor in model.ancestors(node):
        if ancestor is func:
            return
        yield ancestor


def _imported_from_a_file_setting_eval(model, func: cst.Name, kind: str) -> bool:
    """Whether an imported name is a ``kind`` ("def" or "class") of a project file whose text puts something in eval."""
    where = model.imported_path(model.imports[func.value], kind) if func.value in model.imports else None
    return where is not None and model.project is not None and model.project.mentions(where[0], ".eval")
