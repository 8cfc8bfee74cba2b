"""BatchNorm layers put in eval to freeze them, then back in training mode by ``.train()``.

``freeze_bn()`` (a loop over ``modules()`` that calls ``m.eval()`` on each BatchNorm,
or ``model.apply(set_bn_eval)``) holds only until the next ``model.train()``, which
sets every submodule's mode. This module finds, along the order the code runs
(loops walked twice, so a ``.train()`` at the top of the next epoch is seen; calls of
this file's functions, methods and constructors followed a few levels deep, the
arguments standing for the parameters), a ``.train()`` of a module whose BatchNorm
layers were put in eval, followed by a forward pass or a training step before any
new freeze. Freezing helpers are found from their code: a BatchNorm test around the
``.eval()``, and the flag parameter it may run under (``if requires_grad: m.train()
else: m.eval()``), judged with the value each call passes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.freezing.class_parts import built_and_not_optimised, of_module_class
from bn_lint.semantic.freezing.call_keys import (
    bind_keys, decided_flag, key_of, literal_code, owners_in_caller, param_names, rebind, resolve_conditions, to_eval as
    _to_eval, trains as _trains,
)
from bn_lint.semantic.knowledge.library_models import fitted_by_trainer
from bn_lint.semantic.project.declared_versions import lightning_fit_keeps_modes
from bn_lint.semantic.project.definitions import project_builder, project_class
from bn_lint.semantic.syntax.module_walks import walked_call
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel

_BATCHNORM_TEST = re.compile(r"BatchNorm|_NormBase|\bbn\b|_bn\b|\bBN\b")
_MODULE_LOOPS = frozenset({"modules", "named_modules", "children", "named_children"})
_STEPS = frozenset({"backward", "step", "manual_backward"})
# methods of a module that do not run it
_MODULE_METHODS = frozenset({
    "parameters", "named_parameters", "buffers", "named_buffers", "modules", "named_modules", "children",
    "named_children", "state_dict", "load_state_dict", "to", "cuda", "cpu", "float", "half", "double", "type",
    "zero_grad", "eval", "apply", "requires_grad_", "register_buffer", "register_parameter", "add_module",
    "register_forward_hook", "register_forward_pre_hook", "get_submodule", "extra_repr", "share_memory",
})


@dataclass(frozen=True)
class Freeze:
    """A function's BatchNorm freeze: the module (code relative to its parameters / ``self``) and the
    flag conditions it runs under (parameter, value needed)."""

    owner: str
    node: cst.CSTNode
    conditions: tuple[tuple[str, bool], ...] = ()


@dataclass
class Reset:
    """``.train()`` at ``train`` undoes the BatchNorm freeze at ``freeze`` of ``key`` before ``run``."""

    train: cst.Call
    freeze: cst.CSTNode
    key: str
    run: cst.CSTNode
    via: list[cst.Call] = field(default_factory=list)  # the calls of this file that lead to ``train``


class FreezeResets:
    """The BatchNorm freezes this file's functions make, and the ``.train()`` calls that undo them."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model
        self._freezes: dict[cst.FunctionDef, list[Freeze]] = {}
        self._computing: set[cst.FunctionDef] = set()
        self._foreign: dict[cst.FunctionDef, "FreezeResets"] = {}  # a helper of another file -> its file's freezes
        self._files: dict[str, "FreezeResets"] = {}  # another file's path -> its freezes

    def freezes_at(self, call: cst.Call, callee: cst.FunctionDef) -> list[Freeze]:
        """The freezes ``callee`` makes, run by ``call``: a helper of another file's, at ``call`` (its
        freezes are worked out in its own file; the call is where this file freezes)."""
        other = self._foreign.get(callee)
        if other is None:
            return self.freezes(callee)
        if callee.name.value == "__init__" and other.refreezes_on_train("self", callee):
            return []  # (a class whose `train()` freezes again: its instances stay frozen)
        return [Freeze(f.owner, call, f.conditions) for f in other.freezes(callee)]

    # ------------------------------------------------------------------ freezes
    def freezes(self, func: cst.FunctionDef) -> list[Freeze]:
        """The BatchNorm freezes ``func`` makes, itself or through the functions of this file it calls."""
        if func in self._freezes:
            return self._freezes[func]
        if func in self._computing:
            return []
        self._computing.add(func)
        found = list(self._direct(func))
        for call in self.model.nodes_of(func, cst.Call):
            target = self._callee(call, func)
            if target is None or target[0] is func:
                continue
            callee, bind = target
            if bind.get("self") == "<new>":
                continue  # (a constructor: the walk sees what it freezes, under the name it is given)
            conditions = self._conditions(call, func)
            for freeze in self.freezes_at(call, callee):
                held = resolve_conditions(freeze.conditions, bind, callee)
                if held is None:
                    continue
                for owner in owners_in_caller(freeze.owner, bind):
                    found.append(Freeze(owner, freeze.node, held + conditions))
                target = _assigned_key(self.model, call)
                if target is not None and _returns(callee, freeze.owner):
                    found.append(Freeze(target, freeze.node, held + conditions))  # `self.model = fix_bn(model)`
        self._computing.discard(func)
        self._freezes[func] = found
        return found

    def _direct(self, func: cst.FunctionDef) -> Iterator[Freeze]:
        model = self.model
        params = param_names(func)
        for loop in model.nodes_of(func, cst.For):
            owner = _module_loop_owner(loop, model)
            if owner is None:
                continue
            element = self._element_of(loop, owner, params)
            owner = element or owner
            names = {n.value for n in walk(loop.target) if isinstance(n, cst.Name)}
            for call in model.nodes_of(loop.body, cst.Call):
                if _to_eval(call) and key_of(call.func.value) in names and self._under_bn_test(call, loop):
                    yield Freeze(owner, call, self._conditions(call, func))
        module = of_module_class(self.model, func)
        if func.name.value in ("__init__", "train") and module or func.name.value == "__init__":  # `self.backbone.eval()`
            # while built (or in a `train()` override): a frozen part, BatchNorm included; in a plain class's
            # `__init__`, a model it builds itself and gives no optimizer (not one it is given)
            for call in model.nodes_of(func, cst.Call):
                owner = key_of(call.func.value) if isinstance(call.func, cst.Attribute) else None
                if _to_eval(call) and owner is not None and owner.startswith("self.") \
                        and not any(isinstance(a, cst.For) for a in _within(model, call, func)) \
                        and (module or built_and_not_optimised(self.model, func, owner)):
                    yield Freeze(owner, call, self._conditions(call, func))
        for call in model.nodes_of(func, cst.Call):
            func_ = call.func
            if isinstance(func_, cst.Attribute) and func_.attr.value == "apply" and len(call.args) == 1 \
                    and self._bn_eval_function(call.args[0].value):
                owner = key_of(func_.value)
                if owner is not None:
                    yield Freeze(owner, call, self._conditions(call, func))

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

    def _bn_eval_function(self, expr: cst.BaseExpression) -> bool:
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
    def _callee(self, call: cst.Call, caller: cst.FunctionDef | None) -> tuple[cst.FunctionDef, dict] | None:
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
        self._foreign.setdefault(found[1], self._of_file(found[0]))
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
            self._foreign.setdefault(method, self._of_file(found[0]))
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
                   for f in self._foreign.get(info.methods["train"], self).freezes(info.methods["train"]))

    # ------------------------------------------------------------------ resets
    def resets(self) -> list[Reset]:
        """Every ``.train()`` that undoes a BatchNorm freeze before the module runs again."""
        found: dict[int, Reset] = {}
        if not any(self.freezes(f) for f in self._all_functions()) and not self._builds_frozen():
            return []
        roots: list[tuple[cst.CSTNode, cst.FunctionDef | None]] = [(self.model.module, None)]
        roots += [(f, f) for f in self._all_functions()]
        for node, func in roots:
            walker = _Walker(self, func)
            for freeze in self._held_from_init(func):  # (a method runs after `__init__` froze `self.<part>`)
                walker.frozen[freeze.owner] = freeze.node
            body = node.body if isinstance(node, cst.Module) else _suite(node.body)
            walker.block(body, {}, (), [])
            for reset in walker.found:
                found.setdefault(id(reset.train), reset)
        return list(found.values())

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
        return [f for f in self.freezes(init) if f.owner.split(".")[0] == "self" and not f.conditions]

    def _all_functions(self) -> list[cst.FunctionDef]:
        return [node for node in self.model.scopes if isinstance(node, cst.FunctionDef)]


class _Walker:
    """The calls of one function in the order they run, following this file's functions."""

    def __init__(self, owner: FreezeResets, func: cst.FunctionDef | None) -> None:
        self.o = owner
        self.model = owner.model
        self.func = func
        self.frozen: dict[str, cst.CSTNode] = {}  # key -> the freeze in force
        self.pending: dict[str, tuple[cst.Call, cst.CSTNode, list]] = {}  # key -> (train(), freeze, via)
        self.found: list[Reset] = []
        self.aliases: dict[str, str] = {}  # a name -> the key of the module assigned to it (`net = model`)
        self.flags: dict = {}  # function -> {a local flag -> its value for the call walked (`is_train`)}

    def block(self, statements, bind: dict, inlined: tuple, via: list, func: cst.FunctionDef | None = None) -> None:
        func = func or self.func
        for statement in statements:
            self.statement(statement, bind, inlined, via, func)

    def statement(self, node: cst.CSTNode, bind: dict, inlined: tuple, via: list, func) -> None:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return
        if isinstance(node, cst.For) and _module_loop_owner(node, self.model) is not None and func is not None \
                and any(f.node is not None and any(a is node for a in self.model.ancestors(f.node))
                        for f in self.o._direct(func)):
            owner = rebind(_module_loop_owner(node, self.model), bind)
            if owner is not None:
                self._freeze(owner, node)  # `for m in model.modules(): if isinstance(m, BatchNorm2d): m.eval()`
                return
        if isinstance(node, (cst.For, cst.While)):
            head = node.iter if isinstance(node, cst.For) else node.test
            self.calls(head, bind, inlined, via, func)
            for _ in range(2):  # (twice: what the end of one pass leaves, the next pass meets)
                self.block(_suite(node.body), bind, inlined, via, func)
            return
        if isinstance(node, cst.If):
            self.calls(node.test, bind, inlined, via, func)
            known = bind.get(node.test.value) if isinstance(node.test, cst.Name) else None
            if known in ("True", "False", "None"):  # (a flag the call passes: `Frozen(freeze_bn=False)`)
                branch = node.body if known == "True" else node.orelse
                if isinstance(branch, cst.If):
                    self.statement(branch, bind, inlined, via, func)
                elif branch is not None:
                    self.block(_suite(branch.body), bind, inlined, via, func)
                return
            self.block(_suite(node.body), bind, inlined, via, func)
            if node.orelse is not None:
                other = node.orelse
                if isinstance(other, cst.If):
                    self.statement(other, bind, inlined, via, func)
                else:
                    self.block(_suite(other.body), bind, inlined, via, func)
            return
        if isinstance(node, (cst.With, cst.Try)):
            for item in getattr(node, "items", ()):
                self.calls(item.item, bind, inlined, via, func)
            self.block(_suite(node.body), bind, inlined, via, func)
            for handler in getattr(node, "handlers", ()):
                self.block(_suite(handler.body), bind, inlined, via, func)
            return
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self.calls(small, bind, inlined, via, func)
                if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                        and isinstance(small.targets[0].target, cst.Name):  # (`is_train = phase == "train"`)
                    self._flag(small.targets[0].target.value, small.value, bind, func)
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and not inlined \
                        and isinstance(small.targets[0].target, cst.Name):  # (the walked function's own names)
                    self._alias(small.targets[0].target.value, key_of(small.value))
            return
        if isinstance(node, cst.BaseSmallStatement):
            self.calls(node, bind, inlined, via, func)
            return
        for child in _suite(getattr(node, "body", None)):
            self.statement(child, bind, inlined, via, func)

    def _flag(self, name: str, value: cst.BaseExpression, bind: dict, func) -> None:
        """A local assigned a test the call decides (``is_train = phase == "train"``, ``phase`` given "train")."""
        decided = decided_flag(value, bind, self.flags.get(func, {}))
        if decided is None:
            self.flags.get(func, {}).pop(name, None)
        else:
            self.flags.setdefault(func, {})[name] = decided

    def _mode_flag(self, call: cst.Call, bind: dict, func) -> bool | None:
        """The mode ``m.train(flag)`` sets where the call of the walked function decides ``flag``
        (``net.train(train)`` given ``True``), or None."""
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "train") or len(call.args) != 1 \
                or call.args[0].keyword is not None and call.args[0].keyword.value != "mode":
            return None  # (`model.requires_grad_(False)` is no mode)
        return decided_flag(call.args[0].value, bind, self.flags.get(func, {}))

    def calls(self, node: cst.CSTNode, bind: dict, inlined: tuple, via: list, func) -> None:
        """The calls in ``node``, innermost (arguments) first."""
        calls = [n for n in walk(node) if isinstance(n, cst.Call)]
        for call in reversed(calls):
            self.call(call, bind, inlined, via, func)

    def call(self, call: cst.Call, bind: dict, inlined: tuple, via: list, func) -> None:
        f = call.func
        if isinstance(f, cst.Attribute):
            receiver = rebind(key_of(f.value), bind) if key_of(f.value) is not None else None
            method = f.attr.value
            if receiver is not None and method == "train" and (_trains(call) or self._mode_flag(call, bind, func)):
                if not self.o.refreezes_on_train(receiver, func):
                    self._train(call, receiver, via)
                return
            if method in _STEPS:
                self._run(call, None)
                return
            if receiver is not None and (_to_eval(call) or self._mode_flag(call, bind, func) is False):
                receiver = self._same(receiver)
                for key in [k for k in self.pending if k == receiver or k.startswith(receiver + ".")]:
                    self._freeze(key, call)  # `model.backbone.eval()` after `model.train()`: frozen again
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
                    and self.o._bn_eval_function(call.args[0].value):
                self._freeze(receiver, call)  # `model.backbone.apply(set_bn_eval)`
                return
            if method in _MODULE_METHODS:
                return  # (a method of the module, not a forward pass)
        target = self.o._callee(call, func)
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
                    self._freeze(owner, freeze.node)
                    applied = True
            if not applied and callee not in inlined and callee is not self.func and callee not in self.o._foreign:
                # (this file's code only, each function once on the way: recursion is not walked again)
                self.block(_suite(callee.body), local, (*inlined, callee), via + [call], callee)
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

    def _freeze(self, key: str, node: cst.CSTNode) -> None:
        key = self._same(key)
        self.frozen[key] = node
        for other in [k for k in self.pending if k == key or k.startswith(key + ".")]:
            del self.pending[other]

    def _train(self, call: cst.Call, key: str, via: list) -> None:
        key = self._same(key)
        for frozen, node in list(self.frozen.items()):
            if frozen == key or frozen.startswith(key + "."):
                self.pending[frozen] = (call, node, via)
                del self.frozen[frozen]

    def _run(self, call: cst.Call, key: str | None) -> None:
        key = self._same(key) if key is not None else None
        for frozen, (train, node, via) in list(self.pending.items()):
            if key is None or key == frozen or frozen.startswith(key + ".") or key.startswith(frozen + "."):
                self.found.append(Reset(train, node, frozen, call, list(via)))
                del self.pending[frozen]


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


def _suite(body) -> list:
    """The statements of a block (an indented block, or the one-line suite after ``:``)."""
    if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)):
        return list(body.body)
    return []


def _within(model: "FileModel", node: cst.CSTNode, func: cst.FunctionDef):
    for ancestor in model.ancestors(node):
        if ancestor is func:
            return
        yield ancestor


def _module_loop_owner(loop: cst.For, model=None) -> str | None:
    """``model`` in ``for m in model.modules():`` (or ``named_modules()``, ``children()``; also through a local
    name bound once to it, or a DDP-or-plain choice, where ``model``, the file, is given)."""
    def bound_value(name: str) -> cst.BaseExpression | None:
        bound = model.bindings(name, model.scope_of(loop)) if model is not None else None
        return bound[0][0] if bound is not None and len(bound[0]) == 1 else None

    it = walked_call(loop.iter, bound_value)
    if it is not None and it.func.attr.value in _MODULE_LOOPS:
        return key_of(it.func.value)
    return None


def _imported_from_a_file_setting_eval(model, func: cst.Name, kind: str) -> bool:
    """Whether an imported name is a ``kind`` ("def" or "class") of a project file whose text puts something in eval."""
    where = model.imported_path(model.imports[func.value], kind) if func.value in model.imports else None
    return where is not None and model.project is not None and model.project.mentions(where[0], ".eval")
