"""Calls for the chain interpreter (see :mod:`.chains`): the dispatch of a call to a layer class,
a function or project class of this file (interpreted again with the call's arguments), a torch
function, a module applied to a tensor; list and ``Sequential`` mutations; ``super()`` calls (``super_calls``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.shapes import sources as shape_sources
from bn_lint.semantic.shapes.frame import Frame, _is_name, _is_self, _is_static
from bn_lint.semantic.shapes.super_calls import super_call, super_init
from bn_lint.semantic.shapes.tensors import _NOT_HANDLED, _TENSOR_METHODS
from bn_lint.semantic.shapes.values import (
    _BUILTINS, GAP, Chain, ClassRef, ForeignFunc, FuncRef, LayerClass, LayerValue, ProjModule, SelfState,
    Tensor, TorchFunction, _concrete_items, _is_module, _open, _self_chain,
)
from bn_lint.semantic.evaluators.call_binding import match_call
from bn_lint.semantic.knowledge.layers import LAYERS, LayerSpec
from bn_lint.semantic.syntax.constants import UNKNOWN, Sym, is_width, sym_opaque

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.shapes.producers import ChainAnalysis
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope


class ChainCalls:
    """Evaluates calls; a part of :class:`~.producers.ChainAnalysis`."""

    def __init__(self, chain: "ChainAnalysis") -> None:
        self.chain = chain
        self._last_pairs: list[tuple[cst.Arg, Any]] = []  # the last call's arguments with their values
        self._instances: dict[tuple, Any] = {}  # a call's class and arguments -> the instance built

    def call_local(self, target: FuncRef, args: list[Any], kwargs: dict[str, Any], frame: Frame,
                    call: cst.Call, lost: bool) -> Any:
        """A function of this file; one defined inside the running function (``def _inner_forward(x)`` in a
        ``forward``) sees that function's ``self`` and variables."""
        scope = self.chain.model.scopes.get(target.node)
        inner = scope is not None and scope.parent is frame.scope and frame.function
        return self.call_function(target.node, frame.self_state if inner else None, args, kwargs, frame, site=call,
                                   unknown_rest=lost, closure=frame.locals if inner else None)

    def call_function(self, node: cst.FunctionDef, self_state: SelfState | None, args: list[Any],
                       kwargs: dict[str, Any], caller: Frame | None, standalone: bool = False,
                       site: cst.Call | None = None, unknown_rest: bool = False,
                       closure: dict[str, Any] | None = None) -> Any:
        if node in self.chain._active:  # (recursion; calls nest however deep, within the file's budget)
            return UNKNOWN
        scope = self.chain.model.scopes.get(node)
        if scope is None:
            return UNKNOWN
        params = node.params
        skip = 1 if scope.parent is not None and scope.parent.kind == "class" and not _is_static(node) \
            and (params.posonly_params or params.params) else 0
        matched = match_call(node, skip, args, kwargs)  # (self / cls is the frame's)
        local: dict[str, Any] = dict(closure) if closure else {}
        for param in (*params.posonly_params, *params.params, *params.kwonly_params)[skip:]:
            name = param.name.value
            if standalone:
                local[name] = self._param_value(param, node, scope)
            elif name in matched.values:
                local[name] = matched.values[name]
            elif unknown_rest:
                local[name] = UNKNOWN
            elif param.default is not None:
                local[name] = self.chain.names.static_value(param.default, scope.parent)
            else:
                local[name] = UNKNOWN
        if isinstance(params.star_arg, cst.Param):  # `def sequential(*args)`: the rest of this call's arguments
            local[params.star_arg.name.value] = tuple(matched.rest_args) if not (standalone or unknown_rest) else UNKNOWN
        if isinstance(params.star_kwarg, cst.Param):  # `def resnet18(**kwargs)`: the keywords no parameter took
            local[params.star_kwarg.name.value] = dict(matched.rest_kwargs) if not (standalone or unknown_rest) else UNKNOWN
        frame = Frame(scope, local, self_state, True, site=(caller.site or site) if caller else None)
        self.chain._active.add(node)
        try:
            self.chain.statements.block(frame, node.body.body if isinstance(node.body, cst.IndentedBlock) else [node.body])
        finally:
            self.chain._active.discard(node)
        if self_state is not None and frame.self_state is not None and frame.self_state is not self_state:
            self_state.attrs = frame.self_state.attrs
            self_state.seq = frame.self_state.seq
        results = list(frame.returns)
        if not frame.dead:
            results.append(None)
        out = results[0] if results else UNKNOWN
        for other in results[1:]:
            out = self.chain.statements.merge(out, other)
        return out

    def _called_here(self, function: cst.FunctionDef, scope: "Scope") -> bool:
        """Whether this file calls ``function`` (or builds the class whose ``__init__`` it is) by its name:
        then its calls show its configurations, not its defaults."""
        name = function.name.value
        if scope.parent is not None and scope.parent.kind == "class":
            if name != "__init__":
                return True
            name = scope.parent.node.name.value if isinstance(scope.parent.node, cst.ClassDef) else ""
        return any(isinstance(site.node.func, cst.Name) for site in self.chain.model.sites_by_called.get(name, ())) or name not in self.chain.model.functions and name not in self.chain.model.classes

    def _param_value(self, param: cst.Param, function: cst.FunctionDef, scope: "Scope") -> Any:
        name = param.name.value
        default = self.chain.names.static_value(param.default, scope.parent) if param.default is not None else UNKNOWN
        if isinstance(default, (LayerClass, FuncRef, ClassRef, ForeignFunc)) or (
                isinstance(default, str) and not self._called_here(function, scope)):
            return default  # (a string default, `act_mode="BR"`, of a class nothing here builds: its default build)
        atom = f"{name}@{id(function)}"
        if _numbers(default) and not self._called_here(function, scope):
            # (`bins=(1, 2, 3, 6)`: its default build's items, each the unknown entry `bins[i]` (as a subscript
            # reads it), not assumed positive, whose default only a pooling size reads: a loop over them builds
            # one module per item, with widths that prove nothing)
            items = tuple(sym_opaque("getitem", Sym.atom(atom), index) for index in range(len(default)))
            for item, value in zip(items, default):
                self.chain.item_defaults[next(iter(item.atoms()))] = value
            return items
        if param.default is None or (is_width(default) and not isinstance(default, Sym) and default >= 1):
            self.chain.positive.add(atom)
            if isinstance(default, int) and not isinstance(default, bool):
                self.chain.defaults[atom] = (default, function)
        elif default is None:
            self.chain.none_atoms.add(atom)
        if param.default is None and param.annotation is not None:
            self.chain.annotated[atom] = (param, function)  # `cfg: Config`: its entries' declared defaults (`_attribute`)
        return Sym.atom(atom)

    def _instantiate(self, info: "ClassInfo", args: list[Any], kwargs: dict[str, Any], frame: Frame,
                     site: cst.Call, unknown_rest: bool) -> Any:
        """A project module built at ``site``; the same class built again at the same site with the same
        arguments (a loop building blocks) is the same abstract module, interpreted once."""
        try:
            key = (info.name, site, frame.site, tuple(args), tuple(sorted(kwargs.items())), unknown_rest)
            hash(key)
        except TypeError:  # an argument without a stable value (a list, a chain): interpret again
            key = None
        if key is not None and key in self._instances:
            return self._instances[key]
        built = self._build_instance(info, args, kwargs, frame, site, unknown_rest)
        if key is not None:
            self._instances[key] = built
        return built

    def _build_instance(self, info: "ClassInfo", args: list[Any], kwargs: dict[str, Any], frame: Frame,
                        site: cst.Call, unknown_rest: bool) -> Any:
        state = SelfState(info, seq=Chain((), Tensor(), True) if self.chain._is_sequential(info) else None)
        init = self.chain._method(info, "__init__")
        given = bool(args or kwargs)  # (the call binds kwargs away)
        if init is not None:
            self.call_function(init, state, args, kwargs, frame, site=site, unknown_rest=unknown_rest)
        forward = self.chain._method(info, "forward")
        if state.seq is not None and forward is None:
            return Chain(state.seq.items, state.seq.tail, True, state.seq.fills)
        if forward is not None and init is not None and given and forward not in self.chain._active:
            # this instance's layers, built with the call site's arguments, wired by its forward
            entry = SelfState(info, self.chain._stable_attrs(info, state), state.seq)
            self.call_function(forward, entry, [Tensor()], {}, frame, site=site, unknown_rest=True)
        return ProjModule(state)

    def args(self, call: cst.Call, frame: Frame) -> tuple[list[Any], dict[str, Any], bool]:
        """Evaluated positional and keyword arguments; the flag says some were not followed."""
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        lost = False
        pairs: list[tuple[cst.Arg, Any]] = []
        for arg in call.args:
            value = self.chain.expressions.evaluate(arg.value, frame)
            pairs.append((arg, value))
            if arg.star == "*":
                items = _concrete_items(value)
                if items is None or GAP in items:
                    lost = True
                else:
                    args.extend(items)
            elif arg.star == "**":  # `ResNet(block, layers, **kwargs)`: a dict of known keywords is spread
                if isinstance(value, dict) and all(isinstance(k, str) for k in value):
                    kwargs.update(value)
                else:
                    lost = True
            elif arg.keyword is not None:
                kwargs[arg.keyword.value] = value
            else:
                args.append(value)
        self._last_pairs = pairs
        return args, kwargs, lost

    def call(self, call: cst.Call, frame: Frame) -> Any:
        func = call.func
        model = self.chain.model
        # list / Sequential / self mutations
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = func.value
            if method in ("append", "extend", "add_module", "register_module", "insert") and (
                (isinstance(receiver, cst.Name) and receiver.value in frame.locals) or _is_self(receiver)
                or _self_chain(receiver, frame) is not None
            ):
                return self._mutate(call, method, receiver, frame)
            if method == "__init__" and isinstance(receiver, cst.Call) and _is_name(receiver.func, "super"):
                return super_init(self.chain, call, frame)
            if method == "forward" and isinstance(receiver, cst.Call) and _is_name(receiver.func, "super"):
                state = frame.self_state
                if state is not None and state.seq is not None:  # a Sequential subclass: its layers, in order
                    args, _, _ = self.args(call, frame)
                    return self.chain.layers.apply(state.seq, args[0]) if args and isinstance(args[0], Tensor) else UNKNOWN
                return super_call(self.chain, call, method, frame)
        qn = model.qualname(func)
        if qn is not None:
            handled = self.chain.tensors.torch_function(qn, call, frame)
            if handled is not _NOT_HANDLED:
                return handled
        found = model.layer_class(func, frame.scope) if isinstance(func, cst.Attribute) else None
        pretrained = _pretrained_embedding(model, func, frame.scope) if found is None else None
        if pretrained is not None:  # `nn.Embedding.from_pretrained(vectors)`: an Embedding of unknown widths
            self.args(call, frame)
            return self.chain.layers.build(LayerClass(pretrained, ()), call, [], False, frame)
        if found is not None:
            target: Any = LayerClass(found[0], tuple((k, UNKNOWN) for k in found[1]))
        elif isinstance(func, cst.Name) and func.value == "getattr" and len(call.args) == 2 \
                and self.chain.names.lookup(func.value, frame) is UNKNOWN and func.value not in frame.locals \
                and model.qualname(call.args[0].value) == "torch.nn":
            name = self.chain.expressions.evaluate(call.args[1].value, frame)  # `getattr(nn, f"BatchNorm{dims}d")`
            return LayerClass(LAYERS[name], ()) if isinstance(name, str) and name in LAYERS else UNKNOWN
        elif isinstance(func, cst.Name) and func.value == "isinstance" and len(call.args) == 2 \
                and self.chain.names.lookup(func.value, frame) is UNKNOWN and func.value not in frame.locals:
            return _instance_of(self.chain.expressions.evaluate(call.args[0].value, frame), model.qualname(call.args[1].value))
        elif isinstance(func, cst.Name) and func.value in _BUILTINS and self.chain.names.lookup(func.value, frame) is UNKNOWN \
                and func.value not in frame.locals:
            args, kwargs, lost = self.args(call, frame)
            return UNKNOWN if lost else _BUILTINS[func.value](args, kwargs)
        elif isinstance(func, cst.Attribute) and isinstance(self.chain.names.module_function(func, frame), ForeignFunc):
            target = self.chain.names.module_function(func, frame)  # `L.conv1x1(c, c // 4)` of `import lib.layers as L`
        elif isinstance(func, cst.Attribute) and not (_is_self(func.value) and frame.self_state is not None):
            base = self.chain.expressions.evaluate(func.value, frame)
            if isinstance(base, Chain) and base.sequential and func.attr.value == "children" and not call.args \
                    and GAP not in base.items:
                return tuple(base.items)  # `modules.extend(seq.children())`: a Sequential's layers, in order
            if shape_sources.module_method(base, func.attr.value) is not shape_sources.NOT_HANDLED:
                self.args(call, frame)
                return base  # `Net().to(device)`
            if isinstance(base, (Tensor, Sym)) or (base is UNKNOWN and func.attr.value in _TENSOR_METHODS):
                tensor = base if isinstance(base, Tensor) else Tensor()
                return self.chain.tensors.tensor_method(func.attr.value, tensor, call, frame)
            if isinstance(base, ClassRef) and base.name in model.classes:
                target = self.chain.names.class_constant(model.classes[base.name], func.attr.value)
            else:
                args, kwargs, lost = self.args(call, frame)
                return UNKNOWN
        else:
            target = self.chain.expressions.evaluate(func, frame)
        if isinstance(target, tuple) and len(target) == 2 and target[0] == "method":
            args, kwargs, lost = self.args(call, frame)
            self_state = frame.self_state if _is_self(getattr(func, "value", None)) else None
            return self.call_function(target[1], self_state, args, kwargs, frame, site=call, unknown_rest=lost)
        if isinstance(target, TorchFunction):
            return self.chain.tensors.torch_function(target.qualname, call, frame)
        if _is_module(target):
            self.chain._module_calls.add(call)
        args, kwargs, lost = self.args(call, frame)
        pairs = self._last_pairs
        if isinstance(target, LayerClass):
            return self.chain.layers.build(target, call, pairs, lost, frame)
        if isinstance(target, FuncRef):
            return self.call_local(target, args, kwargs, frame, call, lost)
        if isinstance(target, ForeignFunc):
            return UNKNOWN if lost else self.chain.names.foreign_layer(target, args, kwargs, call)
        if isinstance(target, ClassRef) and target.name in model.classes:
            return self._instantiate(model.classes[target.name], args, kwargs, frame, call, lost)
        if _is_module(target):
            tensor = args[0] if args else UNKNOWN
            return self.chain.layers.apply(target, tensor if isinstance(tensor, Tensor) else Tensor(), at=call)
        for arg in call.args:  # an unknown callee may change the lists it is given
            if isinstance(arg.value, cst.Name) and isinstance(frame.locals.get(arg.value.value), Chain):
                frame.locals[arg.value.value] = _open(frame.locals[arg.value.value])
        return UNKNOWN

    def _mutate(self, call: cst.Call, method: str, receiver: cst.BaseExpression, frame: Frame) -> Any:
        args, kwargs, lost = self.args(call, frame)
        if _is_self(receiver):
            state = frame.self_state
            if state is None:
                return UNKNOWN
            if method in ("add_module", "register_module") and len(args) == 2 and not lost:
                name, module = args
                if isinstance(name, str):
                    state.attrs[name] = module
                if state.seq is not None:
                    state.seq = self.chain.layers.extend(state.seq, [module])
            elif state.seq is not None:
                state.seq = _open(state.seq)
            return None
        if isinstance(receiver, cst.Attribute):  # `self.classifier.add_module(...)`: that attribute's chain
            holder, name = frame.self_state.attrs, receiver.attr.value  # type: ignore[union-attr]
        else:
            holder, name = frame.locals, receiver.value  # type: ignore[attr-defined]
        current = holder.get(name)
        if not isinstance(current, Chain):
            return None
        if lost:
            holder[name] = _open(current)
        elif method == "append" and len(args) == 1:
            holder[name] = self.chain.layers.extend(current, args)
        elif method == "extend" and len(args) == 1:
            items = _concrete_items(args[0])
            holder[name] = self.chain.layers.extend(current, list(items)) if items is not None else _open(current)
        elif method in ("add_module", "register_module") and len(args) == 2:
            holder[name] = self.chain.layers.extend(current, [args[1]])
        else:
            holder[name] = Chain((GAP,), Tensor(), current.sequential, None, current.module_list)
        return None

def _pretrained_embedding(model: "FileModel", func: cst.BaseExpression, scope: "Scope | None") -> LayerSpec | None:
    """The Embedding class of ``nn.Embedding.from_pretrained`` (a classmethod that builds one)."""
    if not (isinstance(func, cst.Attribute) and func.attr.value == "from_pretrained"):
        return None
    found = model.layer_class(func.value, scope)
    return found[0] if found is not None and found[0].name in ("Embedding", "EmbeddingBag") else None


_MODULE_CLASSES = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module"})
_SEQUENTIAL_CLASSES = frozenset({"torch.nn.Sequential", "torch.nn.modules.container.Sequential"})


def _instance_of(value: Any, class_name: str | None) -> Any:
    """``isinstance(value, cls)`` for a value the interpreter knows (a layer, a Sequential, a list) and a
    torch.nn class: True / False, or UNKNOWN (``KAIR``'s ``sequential(*args)`` sorting its arguments)."""
    from bn_lint.semantic.knowledge.layers import lookup

    if isinstance(value, Chain):
        if class_name in _MODULE_CLASSES or class_name in _SEQUENTIAL_CLASSES:
            return value.sequential  # (a list of modules is no module)
        return False if lookup(class_name) is not None else UNKNOWN
    if isinstance(value, LayerValue):
        if class_name in _MODULE_CLASSES:
            return True
        if class_name in _SEQUENTIAL_CLASSES:
            return value.spec.kind == "container" and UNKNOWN
        spec = lookup(class_name)
        return UNKNOWN if spec is None else spec.name == value.spec.name
    return UNKNOWN


def _numbers(value: Any) -> bool:
    """A tuple of plain ints (``bins=(1, 2, 3, 6)``)."""
    return isinstance(value, tuple) and bool(value) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value)
