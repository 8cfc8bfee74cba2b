"""The flow's freezes (``requires_grad_(False)``), BatchNorm put in eval, and freezes a builder returns."""
from __future__ import annotations

from typing import TYPE_CHECKING

import re

import libcst as cst

from bn_lint.semantic.nn_modules.bearing import ModelKind, tuple_element
from bn_lint.semantic.syntax.walk import walk
from .conditions import _negated
from .keys import _container_elements, _unwrap_passthrough, key_of, key_root
from .known_calls import _BATCHNORM_TEST, _CONTAINERS
from .inference_runs import _loaded
from .optimizers import _optimizer_class, given_parts, left_out_models
from .records import Site
from .state import State, _child_of, _lookup, _tracked

if TYPE_CHECKING:  # pragma: no cover
    from .flow import _Flow


class FlowFreezes:
    """A part of the walk of one function (``flow.freezes``): freezes and BatchNorm-in-eval, watched at later training steps."""

    def __init__(self, flow: "_Flow") -> None:
        self.flow = flow

    def frozen_parameter(self, target: cst.Attribute, value: cst.BaseExpression, state: State) -> None:
        """``p.requires_grad = False`` for every ``p`` of a module (or its BatchNorm ones); ``= True``
        unfreezes it; ``= enabled``, a parameter of this function, freezes it where a call gives False."""
        var = parameter_var(target.value)
        if isinstance(value, cst.Name) and value.value == "True" and var in self.flow.param_vars:
            owner, loop = self.flow.param_vars[var]
            self.unfreeze(loop, owner)  # (from the loop over its parameters, which runs once)
            return
        when = self.freezing_value(value)
        if when is None:
            return
        if var not in self.flow.param_vars:
            owner = self.frozen_module_var(target, target.value)  # `m.weight.requires_grad = False`
            if owner is None:
                # `self.backbone[i].requires_grad = False` on a module with BatchNorm: meant as its freeze (an
                # attribute its parameters never read: they train on, and its BatchNorm layers keep updating); not
                # a parameter (`model.shift.xshift.requires_grad = False`: an attribute path may name one)
                owner = key_of(target.value) if isinstance(target.value, (cst.Name, cst.Subscript)) else None
                if owner is not None and self.flow.a.kinds.kind(owner, _lookup(state, owner), self.flow.scope) is not ModelKind.BN:
                    return
            if owner is not None and _tracked(state, owner):
                self.freeze(target, owner, state, when)
            return
        owner, loop = self.flow.param_vars[var]
        child: cst.CSTNode = target
        part = None
        for ancestor in self.flow.model.ancestors(target):
            if ancestor is loop:
                break
            if self._selects_some(ancestor, child):
                part = _named_part(ancestor, child, loop) if part is None else None
                if part is None:
                    return  # only some parameters: not a frozen module
            child = ancestor
        if part is not None:  # `if name.startswith("backbone."):` in a loop over `named_parameters()`
            owner = f"{owner}.{part}"
        # `for m in model.modules(): if isinstance(m, nn.BatchNorm2d): for p in m.parameters(): ...`
        owner = self.flow.module_vars.get(owner, owner)
        if _tracked(state, owner):
            self.freeze(target, owner, state, when)

    def left_out_of_optimizer(self, call: cst.Call, qn: str | None, state: State) -> bool:
        """``torch.optim.Adam(model.fc.parameters())``: an optimizer given only parts without BatchNorm of a tracked
        model leaves the rest out: where the rest holds BatchNorm, a freeze (RULES.md BN105: "by leaving
        those parameters out of the optimizer"), unless the file optimises the whole model somewhere or freezes
        parameters itself. Whether ``call`` builds a torch optimizer."""
        if not _optimizer_class(qn):
            return False
        parts = given_parts(self.flow.model, call)
        roots = {key_root(part) for part in parts or ()}
        if parts:  # (`optim.SGD(refine.parameters())` beside a pretrained `model` that no optimizer is given)
            for key in left_out_models(self.flow.model, call, [k for k in state if k not in roots], _pretrained_bn(self.flow, state)):
                self.flow.a.left_out.add((call, key))
                self.freeze(call, key, state)
        if not parts or len(roots) != 1 or any("." not in part for part in parts):
            return True
        root = roots.pop()
        if "requires_grad" in self.flow.model.source:
            return True  # (the code freezes parts by their parameters: the optimizer is not how it freezes)
        if not _tracked(state, root) or re.search(rf"\b{re.escape(root)}\s*\.\s*(?:named_)?parameters\s*\(",
                                                  self.flow.model.source):
            return True
        self.freeze(call, root, state)  # (whether the parts hold no BatchNorm is asked where it is reported)
        return True

    def frozen_module_var(self, node: cst.CSTNode, receiver: cst.BaseExpression) -> str | None:
        """The module whose BatchNorm layers (or all layers) freezing ``receiver`` freezes: ``m`` or
        ``m.weight`` / ``m.bias`` in ``for m in model.modules():``, unconditionally or under a test that
        names BatchNorm (``isinstance(m, nn.BatchNorm2d)``); None for anything else."""
        if isinstance(receiver, cst.Attribute) and receiver.attr.value in ("weight", "bias"):
            receiver = receiver.value
        if not (isinstance(receiver, cst.Name) and receiver.value in self.flow.module_vars):
            return None
        child = node
        for ancestor in self.flow.model.ancestors(node):
            if isinstance(ancestor, cst.For) and any(
                    isinstance(n, cst.Name) and n.value == receiver.value for n in walk(ancestor.target)):
                owner = self.flow.module_vars[receiver.value]
                if (ancestor, owner) in self.flow.frozen_loops:
                    return None  # `m.weight` then `m.bias`: one freeze of the module
                self.flow.frozen_loops.add((ancestor, owner))
                return owner
            if self._selects_some(ancestor, child) or isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return None  # only some modules: not a frozen BatchNorm
            child = ancestor
        return None

    def _selects_some(self, node: cst.CSTNode, child: cst.CSTNode) -> bool:
        """``node`` is an ``if`` that lets through (to ``child``, on the path to a freeze) only some layers,
        not their BatchNorm ones: ``if name.startswith("layer1")``, ``if "bn" not in name``. An ``if`` that
        lets through the BatchNorm layers (``if isinstance(m, nn.BatchNorm2d)``) or all but a named part
        (``if not name.startswith("layer4")``, the ``else`` of ``if "fc" in name``) selects no subset."""
        if not isinstance(node, (cst.If, cst.IfExp)):
            return False
        test = self.flow.model.code(node.test).lower()
        names_bn = "bn" in test or "norm" in test
        loop_variables = {n.value for loop in self.flow.model.ancestors(node) if isinstance(loop, cst.For)
                          for n in walk(loop.target) if isinstance(n, cst.Name)}
        if not any(isinstance(n, cst.Name) and n.value in loop_variables for n in walk(node.test)):
            return not names_bn  # a flag (`if args.freeze:`), not a choice of layers: taken as some
        reaches_named = _negated(node.test) == (child is node.orelse)  # the freeze reaches what the test names
        return reaches_named != names_bn

    def note_returned_elements(self, value: cst.BaseExpression | None, state: State) -> None:
        """``return model, transforms``: the mode of each element, and the modules frozen in each."""
        elements = [tuple_element(value, index) for index in range(len(value.elements))] \
            if isinstance(value, cst.Tuple) else [None]
        if None in elements:
            self.flow.returned_elements.append(None)
            return
        self.flow.returned_elements.append([self.flow.values.value_facts(element, state) for element in elements])
        if self.flow.frozen or self.flow.helper_frozen:
            for index, element in enumerate(elements):
                self.note_returned_freezes(element, state, self.flow.element_freezes.setdefault(index, []))

    def note_returned_freezes(self, value: cst.BaseExpression, state: State,
                               into: list[tuple[cst.CSTNode, str]]) -> None:
        """The modules frozen here that ``return value`` gives back: the model itself, a part of it, or
        a member of a container built from them (``nn.Sequential(backbone, head)``)."""
        value = _unwrap_passthrough(value)
        returned = key_of(value)
        members: dict[str, str] = {}  # a member's key -> where the returned model holds it (".head"; "": somewhere)
        if returned is None and isinstance(value, cst.Call) and self.flow.model.qualname(value.func) in _CONTAINERS:
            members = {k: "" for k in map(key_of, _container_elements(value)) if k is not None}
        elif returned is None and isinstance(value, cst.Call):
            members = self._stored_by_constructor(value)
        elif returned is not None and returned in self.flow.parts:  # `model = nn.Sequential(backbone, head); return model`
            members = {k: "" for k in self.flow.parts[returned]}
        for node, key in [*self.flow.frozen, *self.flow.helper_frozen]:
            if returned is not None and (key == returned or _child_of(key, returned)):
                rest = key[len(returned):]  # (with its separator: `.backbone`, `[1]`)
            elif key in members:
                rest = members[key]
            else:
                continue
            kind = self.flow.a.kinds.kind(key, _lookup(state, key), self.flow.scope) if _tracked(state, key) else None
            if kind in (ModelKind.BN, ModelKind.MAYBE) and (node, rest) not in into:
                into.append((node, rest))

    def _stored_by_constructor(self, call: cst.Call) -> dict[str, str]:
        """``Probe(backbone, n)`` of a class of this file whose ``__init__`` keeps a parameter as it is
        (``self.backbone = backbone``): the argument's key -> where the instance holds it (``.backbone``)."""
        func = call.func
        info = self.flow.model.classes.get(func.value) if isinstance(func, cst.Name) and self.flow.model.binding(func.value, None) is None else None
        init = info.methods.get("__init__") if info is not None else None
        if init is None or any(arg.star for arg in call.args):
            return {}
        names = [p.name.value for p in (*init.params.posonly_params, *init.params.params)][1:]
        given = dict(zip(names, (arg.value for arg in call.args if arg.keyword is None)))
        given.update({arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None})
        held: dict[str, str] = {}
        for attr, values in info.attributes.items():
            if len(values) == 1 and isinstance(values[0][0], cst.Name) and values[0][1].node is init:
                key = key_of(given[values[0][0].value]) if values[0][0].value in given else None
                if key is not None:
                    held[key] = "." + attr
        return held

    def freeze(self, node: cst.CSTNode, key: str, state: State, when: list[tuple[str, bool]] | None = None) -> None:
        """``key`` frozen at ``node``; ``when``: the values of this function's parameters it needs (a
        ``requires_grad`` set to a parameter's value), known only at a call: there the freeze is applied
        (``freeze_tests``), here it is not watched."""
        self.flow.frozen.append((node, key))
        if when:
            self.flow.carried_tests[node] = when
            return
        self.flow.a.freezes[node] = Site(node, key, _lookup(state, key), self.flow.scope)
        self.flow.watch[node] = (key, "frozen")

    def freezing_value(self, value: cst.BaseExpression | None) -> list[tuple[str, bool]] | None:
        """What a ``requires_grad`` value freezes under: always for ``False`` (``[]``); where the parameter
        is false for a parameter of this function it never rebinds (``[(enabled, False)]``); None otherwise."""
        if isinstance(value, cst.Name) and value.value == "False":
            return []
        if isinstance(value, cst.Name) and value.value in self.flow.params[:self.flow.declared] \
                and isinstance(self.flow.node, cst.FunctionDef) and not self.flow.scope.bindings.get(value.value):
            return [(value.value, False)]
        return None

    def param_tests(self, node: cst.CSTNode) -> list[tuple[str, bool]]:
        """The flags among this function's parameters that ``node`` runs under (`if feature_extract:`),
        each with the value it needs. (Other tests, `if i < n:` in a loop over blocks, are not followed.)"""
        tests: list[tuple[str, bool]] = []
        child: cst.CSTNode = node
        for ancestor in self.flow.model.ancestors(node):
            if ancestor is self.flow.node:
                break
            if isinstance(ancestor, (cst.If, cst.IfExp)) and child is not ancestor.test:
                test, wanted = ancestor.test, child is ancestor.body
                if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                    test, wanted = test.expression, not wanted
                if isinstance(test, cst.Name) and test.value in self.flow.params[:self.flow.declared]:
                    tests.append((test.value, wanted))
                elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name) \
                        and test.left.value in self.flow.params[:self.flow.declared] \
                        and isinstance(test.comparisons[0].comparator, cst.SimpleString) \
                        and isinstance(test.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
                    literal = test.comparisons[0].comparator.evaluated_value  # `if mode == "eval":`
                    equal = isinstance(test.comparisons[0].operator, cst.Equal)
                    tests.append((test.left.value, ("==", literal, wanted if equal else not wanted)))
            child = ancestor
        return tests

    def unfreeze(self, node: cst.CSTNode, key: str) -> None:
        """``key.requires_grad_(True)``: the modules in it train from here on, so their BatchNorm layers
        belong in training mode; stop watching those frozen or put in eval before. Only for an unfreeze
        that runs whenever they do: one under a test or in a loop of its own (`if epoch == unfreeze_at:`)
        leaves the epochs before it training frozen layers."""
        branching = (cst.If, cst.For, cst.While, cst.Try, cst.Match)  # (bodies that may run or not, or repeat)
        own = [a for a in self.flow.model.ancestors(node) if isinstance(a, branching)]
        for watched_node, (watched, _reason) in list(self.flow.watch.items()):
            anchor = self.flow.watched_at.get(watched_node, watched_node)  # (a helper's freeze: where it was called)
            if (watched == key or watched.startswith(key + ".")) \
                    and all(a in self.flow.model.ancestors(anchor) for a in own):
                del self.flow.watch[watched_node]

    def freezes_each(self, fn: cst.BaseExpression) -> bool:
        """``fn`` turns off the gradients of whatever module it is given, so ``x.apply(fn)`` freezes ``x``:
        ``lambda m: m.requires_grad_(False)``, or a function of this file that does it unconditionally
        (``m.requires_grad_(False)``, ``for p in m.parameters(): p.requires_grad = False``)."""
        if isinstance(fn, cst.Lambda):
            params, body = fn.params.params, [fn.body]
        else:
            func = self.flow.model.functions.get(fn.value) if isinstance(fn, cst.Name) else None
            params, body = (func.params.params, func.body.body) if func is not None else ((), [])
        if not params:
            return False
        name = params[0].name.value
        for statement in body:
            small = statement.body if isinstance(statement, cst.SimpleStatementLine) else [statement]
            for node in small:
                node = node.value if isinstance(node, cst.Expr) else node
                if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                        and node.func.attr.value == "requires_grad_" and isinstance(node.func.value, cst.Name) \
                        and node.func.value.value == name and node.args and isinstance(node.args[0].value, cst.Name) \
                        and node.args[0].value.value == "False":
                    return True
                if isinstance(node, cst.For) and self.flow.model.code(node.iter) == f"{name}.parameters()" \
                        and isinstance(node.target, cst.Name) and any(
                            isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.Assign)
                            and self.flow.model.code(s.body[0].targets[0].target) == f"{node.target.value}.requires_grad"
                            and self.flow.model.code(s.body[0].value) == "False" for s in node.body.body):
                    return True
        return False

    def evals_batchnorm(self, fn: cst.BaseExpression) -> bool:
        """``fn`` is a function of this file (or a method of the class around, ``self.set_bn_eval``) that puts the
        module it is given in eval when it is a BatchNorm (``def set_bn_eval(m): if isinstance(m, nn.BatchNorm2d):
        m.eval()``)."""
        func = self.flow.model.functions.get(fn.value) if isinstance(fn, cst.Name) else None
        if isinstance(fn, cst.Attribute) and isinstance(fn.value, cst.Name) and fn.value.value in ("self", "cls") \
                and isinstance(self.flow.node, cst.FunctionDef):  # `self.apply(self.deactivate_batchnorm)`: a static method
            info = self.flow.model.class_of_method(self.flow.node)
            func = info.methods.get(fn.attr.value) if info is not None else None
        params = func.params.params if func is not None else ()
        if params and params[0].name.value in ("self", "cls"):
            params = params[1:]
        if not params:
            return False
        name = params[0].name.value
        return any(isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                   and isinstance(node.func.value, cst.Name) and node.func.value.value == name
                   and self.batchnorm_to_eval(node) for node in walk(func.body))

    def batchnorm_to_eval(self, call: cst.Call) -> bool:
        """``m.eval()`` / ``m.train(False)`` under an ``isinstance(m, nn.BatchNorm2d)``-like test."""
        func = call.func
        if not isinstance(func, cst.Attribute):
            return False
        if func.attr.value == "eval" and call.args:
            return False
        if func.attr.value == "train" and not (
            len(call.args) == 1 and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == "False"
        ):
            return False
        for ancestor in self.flow.model.ancestors(call):
            if isinstance(ancestor, (cst.For, cst.FunctionDef)):
                return False
            if isinstance(ancestor, cst.If) and _BATCHNORM_TEST.search(self.flow.model.code(ancestor.test)):
                return True
        return False


    def other_layers_only(self, call: cst.Call) -> bool:
        """``m.train()`` / ``m.eval()`` in a loop over a model's modules under ``if isinstance(m, nn.Dropout):``: a
        test that only layers without BatchNorm pass (Monte Carlo dropout), so BatchNorm keeps its mode."""
        for ancestor in self.flow.model.ancestors(call):
            if isinstance(ancestor, (cst.For, cst.FunctionDef)):
                return False
            if isinstance(ancestor, cst.If):
                test = self.flow.model.code(ancestor.test)
                return _OTHER_LAYER_TEST.fullmatch(test) is not None and _BATCHNORM_TEST.search(test) is None
        return False


_OTHER_LAYER = r"(?:(?:torch\.)?nn\.)?(?:Dropout\w*|AlphaDropout|LayerNorm|GroupNorm|Linear|Conv\w*|ReLU|Embedding)"
_OTHER_LAYER_TEST = re.compile(
    rf"\s*isinstance\(\s*\w+\s*,\s*(?:{_OTHER_LAYER}|\(\s*{_OTHER_LAYER}(?:\s*,\s*{_OTHER_LAYER})*\s*,?\s*\))\s*\)\s*")


def parameter_var(holder: cst.BaseExpression) -> str | None:
    """The loop variable a parameter is read from: ``p`` for ``p.requires_grad``, ``p[1]`` for a ``(name, param)``
    pair of ``named_parameters()`` left whole."""
    if isinstance(holder, cst.Name):
        return holder.value
    if isinstance(holder, cst.Subscript) and isinstance(holder.value, cst.Name) and len(holder.slice) == 1 \
            and isinstance(holder.slice[0].slice, cst.Index) and isinstance(holder.slice[0].slice.value, cst.Integer) \
            and holder.slice[0].slice.value.value == "1":
        return f"{holder.value.value}[1]"
    return None


_MODULE_PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def _named_part(test_node: cst.CSTNode, child: cst.CSTNode, loop: cst.CSTNode) -> str | None:
    """``backbone`` for an ``if "backbone." in name:`` / ``if name.startswith("backbone")`` (the freeze in its
    body) in a loop over ``named_parameters()``: the submodule whose parameters it freezes, by its path."""
    if not (isinstance(test_node, cst.If) and child is test_node.body and isinstance(loop, cst.For)
            and isinstance(loop.target, cst.Tuple) and isinstance(loop.target.elements[0].value, cst.Name)):
        return None
    name, test = loop.target.elements[0].value.value, test_node.test
    literal = None
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.comparisons[0].operator, cst.In) \
            and isinstance(test.comparisons[0].comparator, cst.Name) and test.comparisons[0].comparator.value == name:
        literal = test.left
    elif isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) and test.func.attr.value == "startswith" \
            and isinstance(test.func.value, cst.Name) and test.func.value.value == name and len(test.args) == 1:
        literal = test.args[0].value
    if not isinstance(literal, cst.SimpleString):
        return None
    path = str(literal.evaluated_value).strip(".")
    return path if _MODULE_PATH.fullmatch(path) else None


def _pretrained_bn(flow: "_Flow", state: State):
    """Whether a tracked model holds BatchNorm and is given trained weights in this function (a pretrained build,
    its own loader): a network left out of the optimizers on purpose, not a random one."""
    scope = flow.node if isinstance(flow.node, cst.FunctionDef) else None
    return lambda key: flow.a.kinds.kind(key, _lookup(state, key), flow.scope) is ModelKind.BN \
        and bool(_loaded(flow.model, key, scope, flow.model.order(flow.node) + 10**9, set()))
