"""The flow's calls: exports, mode switches, safe methods and callees, arguments stored or copied."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.knowledge.module_names import named_as_module

from bn_lint.semantic.project.definitions import project_class
from bn_lint.semantic.nn_modules.uses import forwarded
from bn_lint.semantic.syntax.walk import children, walk
from .list_entries import appended_entry, given_items
from .constructors import _deep_copies, _is_dataclass_decorator, stored_by_init
from .freezing import parameter_var
from .getters import plain_class_method, plain_self_call
from .held_instances import held_aliases
from .inference_runs import inference_helper_key
from .keys import _names_read, key_of, looked_up_owner, plain_data_attribute, receiver_key, key_root
from .method_names import method_evaluates_self, method_keeps_modes, method_runs_self, submodule_name
from .known_calls import (
    TRAINING_TOOLS,
    RUN_METHOD,
    EXPORT_METHODS, _EXPORTS, _MODE_KEEPING_APPLIED, _SAFE_METHODS, _TENSOR_ATTRIBUTES, _in_place_tensor_op,
    _is_module_call, keeps_given_modes,
)
from .records import Site, _merge
from .uses import library_eval
from .state import EVAL, TRAIN, Fact, State, _ENTRY, _UNKNOWN, _child_of, _forget, _lookup, _set, _submodule_key, _tracked

if TYPE_CHECKING:  # pragma: no cover
    from .flow import _Flow
    from bn_lint.semantic.file.model import FileModel
    from .analysis import ModeAnalysis


class FlowCalls:
    """A part of the walk of one function (``flow.calls``): calls."""

    def __init__(self, flow: "_Flow") -> None:
        self.flow = flow

    # ------------------------------------------------------------- expressions
    def expression(self, expr: cst.CSTNode, state: State) -> None:
        """Apply the effects of the calls in ``expr``, innermost first."""
        calls = []
        stack = [expr]
        yields = False
        while stack:
            node = stack.pop()
            cls = type(node)  # (libcst's classes are ABCs: an exact type test is the quick one)
            if cls is cst.Lambda or cls is cst.FunctionDef or cls is cst.ClassDef:
                continue
            if cls is cst.Call:
                calls.append(node)
            elif cls is cst.Yield:
                yields = True
            stack.extend(children(node))
        for call in calls:  # `stack.enter_context(cm(model))`: entered like a `with` item (left at the `with`'s end)
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == "enter_context" and call.args \
                    and isinstance(call.args[0].value, cst.Call):
                self.flow.entering.add(call.args[0].value)
        for call in reversed(calls):  # pre-order reversed: arguments and receivers before the call
            self.call(call, state)
        if yields:
            self.flow.yields.append(dict(state))

    def call(self, call: cst.Call, state: State) -> None:
        if not self.flow.aliases:
            self._call(call, state)
            return
        before = dict(state)
        self._call(call, state)
        for _ in self.flow.aliases:  # (transitively: `trainer.model` and `val.model` both name `model`)
            passed = dict(state)
            _mirror_aliases(self.flow.aliases, before, state)
            if state.keys() == passed.keys() and all(state[k] is passed[k] for k in state):
                break

    def _call(self, call: cst.Call, state: State) -> None:
        a = self.flow.a
        func = call.func
        self.flow.given_callables.callables_at(call, state)  # (`hooks.add(partial(log, model))`, `hooks.fire(epoch)`)
        appended_entry(self.flow, call, state)  # (`models.append(net)`: `models[0]` is `net`)
        passes_model = self._passes_tracked(call, state)
        if passes_model and a.steps.is_training_call(call) and not a.steps.under_no_grad(call):
            self.flow.uses.training_helper(call, state)
        # exports
        qn = self.flow.model.qualname(func)
        if (qn in _EXPORTS or qn == "torch.jit.script" and _saved_script(self.flow.model, call)) and call.args:
            given = _exported_argument(call, qn)
            if given is not None:
                key = _submodule_key(given, state)
                if key is not None and (key in state or any(_child_of(key, k) for k in state)):
                    a.exports[call] = _merge(a.exports.get(call), key, _lookup(state, key), call, self.flow)
                    if _lookup(state, key) == _ENTRY and key in self.flow.params:
                        self.flow.entry_exports.append((call, key))  # (`torch.onnx.export(model, ...)`: as given)
        elif isinstance(func, cst.Attribute) and func.attr.value in EXPORT_METHODS and not _for_qat(call):
            key = key_of(func.value)  # `self.to_onnx(path, sample)`, `model.to_torchscript()`, `model.fuse_model()`
            if key is not None and key in state:
                a.exports[call] = _merge(a.exports.get(call), key, _lookup(state, key), call, self.flow)
        if self.flow.freezes.left_out_of_optimizer(call, qn, state):  # (`torch.optim.Adam(model.fc.parameters())`)
            return
        if library_eval(self.flow, call, qn, state):
            return  # (`pyhessian.hessian(model, ...)`)
        if self.flow.uses.library_run(call, qn, state):
            return  # (`thop.profile(model, inputs=(x,))`)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
            target = a.callees.callee(call)
            if target is not None:
                self.flow.helper_calls.apply_summary(call, target, state)
                return
        if self.flow.callbacks.callback_call(call, state):
            return  # (`on_epoch_end(epoch)`: what the callers give it runs here)
        if self.flow.uses.lambda_run(call, state):
            return  # (`fun(x)` with `fun = lambda d: self.model(d)`: a run of `self.model` here)
        if (own := plain_self_call(a, call, self.flow.scope)) is not None:  # `self(event)` of a learner: `__call__`
            return self.flow.helper_calls.apply_summary(call, own, state) if own is not True else None
        key = key_of(func)
        if isinstance(func, cst.Name) and func.value in self.flow.element_vars and not _tracked(state, func.value):
            key = self.flow.element_vars[func.value]  # `for net in nets: net(x)`: a run of each item a caller passes
        if key is not None and (_is_module_call(func, key, state) or self.flow.loops.element_entry(func, key, state)):
            self.flow.uses.use(call, key, state)
            return
        run = forwarded(func)  # `model.forward(x)`, `model.to(device)(x)`: a run of `model`
        if run is not None and key_of(run) is not None and key_of(run) in state:
            self.flow.uses.use(call, key_of(run), state)
            return
        if isinstance(func, cst.Attribute) and key is not None and key_of(func.value) in state \
                and self.flow.uses.forward_method(key_of(func.value), func.attr.value, state, call):
            self.flow.uses.use(call, key_of(func.value), state)  # `vae.encode(x)`: a method that runs its submodules
            return
        if (key is not None and isinstance(func, cst.Attribute) and key_root(key) in self.flow.params
                and key_of(func.value) is not None and _lookup(state, key_of(func.value)) == _ENTRY
                and func.attr.value not in _SAFE_METHODS and func.attr.value not in ("eval", "train", "forward", "apply")):
            a.uses.setdefault(call, _method_use_site(self.flow, call, key))
            if RUN_METHOD.fullmatch(func.attr.value):  # `model.features(x)`: a run of the model its caller gives
                self.flow.entry_uses.append((call, key_of(func.value)))
            elif key_of(func.value) in self.flow.params and not self.flow.model.method_texts(func.attr.value):
                # `trainer.generator(x)`, a name no class in sight defines as a method: a run of what the caller's
                # object holds there, if anything (decided at each caller: `helper_calls.held_part_key`)
                self.flow.entry_uses.append((call, key))
            held = a.callees.attribute_class(func.value, call)
            if held is not None and func.attr.value in held.attributes and func.attr.value not in held.methods:
                return  # `self.ema.module(x)`: a forward of the module `ModelEMA.__init__` stores, not a method
        if isinstance(func, cst.Attribute):
            receiver = key_of(func.value)
            method = func.attr.value
            if method in ("eval", "train") and isinstance(func.value, (cst.Name, cst.Attribute)):
                own = plain_class_method(self.flow.a, call)
                if own is not None:  # (`bench.train(niter=1)`: a method of a class that is no module, not a mode)
                    self.flow.helper_calls.apply_summary(call, own, state)
                    return
            if receiver is None and method in ("eval", "train", "requires_grad_"):
                receiver = receiver_key(func.value) or looked_up_owner(func.value)
                if receiver is not None and not _tracked(state, receiver):
                    receiver = None
            if method == "apply" and len(call.args) == 1 and receiver is not None and self.flow.freezes.evals_batchnorm(call.args[0].value):
                # `model.backbone.apply(set_bn_eval)`: its BatchNorm layers go to eval, as in a modules() loop
                for owner in self.flow.loop_modules.get(receiver, [receiver]):
                    if _tracked(state, owner):
                        _set(state, owner, _UNKNOWN)
                        self.flow.watch[call] = (owner, "eval")
                        self.flow.bn_evals.add(owner)
                return
            if method == "apply" and len(call.args) == 1 and receiver is not None and _tracked(state, receiver) \
                    and self.flow.freezes.freezes_each(call.args[0].value):
                self.flow.freezes.freeze(call, receiver, state)  # `model.bn.apply(lambda m: m.requires_grad_(False))`
                return
            if method == "apply" and len(call.args) == 1 and _applies_mode_keeping(self.flow.model, call.args[0].value):
                return  # `netG.apply(weights_init)`: an initialiser that never changes a mode
            if receiver in self.flow.loop_modules and method in ("eval", "train") and not _tracked(state, receiver):
                self.flow.loops.set_each(call, receiver, method, state)  # `for net in [F, L, D]: net.eval()`
                return
            if receiver in self.flow.element_vars and method in ("eval", "train") and not _tracked(state, receiver):
                self.flow.element_modes.add(self.flow.element_vars[receiver])  # the caller knows which modules: see _items_set
                modes = {f.mode for f in self.flow.values.train_arg(call, receiver, state)} if method == "train" else \
                    {EVAL} if not call.args else set()
                if len(modes) == 1 and modes <= {EVAL, TRAIN}:
                    self.flow.element_sets.append((call, self.flow.element_vars[receiver], modes.pop()))
                return
            if method == "requires_grad_" and parameter_var(func.value) in self.flow.param_vars:  # `p.requires_grad_(False)`
                return self.flow.freezes.frozen_parameter(func, call.args[0].value if call.args else cst.Name("True"), state)
            if method == "requires_grad_" and receiver is not None and not _tracked(state, receiver) and _gives_false(call):
                owner = self.flow.freezes.frozen_module_var(call, func.value)  # `m.requires_grad_(False)` over model.modules()
                if owner is not None and _tracked(state, owner):
                    self.flow.freezes.freeze(call, owner, state)
                    return
            if receiver in self.flow.part_vars and not _tracked(state, receiver) and _tracked(state, self.flow.part_vars[receiver]):
                owner = self.flow.part_vars[receiver]  # blocks of `model.features`: taken for the container
                if method == "eval" and not call.args:
                    self.flow.assignments.set_mode(state, owner, frozenset({Fact(EVAL, call, "eval()", "`.eval()` at line {line}")}))
                    self.flow.watch[call] = (owner, "eval")
                    return
                if method == "requires_grad_" and _gives_false(call):
                    self.flow.freezes.freeze(call, owner, state)
                    return
                if method == "train" and receiver in self.flow.looked_up:  # (`net.train()`, the part not known: all)
                    self.flow.assignments.set_mode(state, owner, self.flow.values.train_arg(call, owner, state))
                    return
            if receiver in self.flow.module_vars and method in ("eval", "train") and not _tracked(state, receiver):
                owner = self.flow.module_vars[receiver]  # some submodules (e.g. its BatchNorm layers) change mode
                if self.flow.freezes.other_layers_only(call):
                    return  # (`if isinstance(m, nn.Dropout): m.train()`: no BatchNorm layer changes mode)
                if _tracked(state, owner):
                    _set(state, owner, _UNKNOWN)
                    if self.flow.freezes.batchnorm_to_eval(call):
                        self.flow.watch[call] = (owner, "eval")
                        self.flow.bn_evals.add(owner)
                return
            if receiver is not None:
                if method == "forward" and _tracked(state, receiver):
                    self.flow.uses.use(call, receiver, state)
                    return
                if method == "eval" and not call.args:
                    self.flow.assignments.set_mode(state, receiver, frozenset({Fact(EVAL, call, "eval()", "`.eval()` at line {line}")}))
                    if "." in receiver:
                        self.flow.watch[call] = (receiver, "eval")
                    return
                if method == "train":
                    facts = self.flow.values.train_arg(call, receiver, state)
                    self.flow.assignments.set_mode(state, receiver, facts)
                    if "." in receiver and {f.mode for f in facts} == {EVAL}:
                        self.flow.watch[call] = (receiver, "eval")
                    return
                if method == "requires_grad_":
                    flag = call.args[0].value if call.args else None
                    when = self.flow.freezes.freezing_value(flag) if flag is not None else None
                    if when is not None:
                        self.flow.freezes.freeze(call, receiver, state, when)  # (`requires_grad_(flag)`: where a call gives False)
                    elif flag is None or (isinstance(flag, cst.Name) and flag.value == "True"):
                        self.flow.freezes.unfreeze(call, receiver)
                    return
                if method in _SAFE_METHODS:
                    return
        if self.flow.assignments.fresh_instance_call(call):
            return
        # another file's function can change only the modes of what it is given: look it up only then
        inert = a.indexed_inert(call, self.flow.helper_calls.bind_args, lambda key: _tracked(state, key)) if passes_model else None
        if inert is not None:
            self.flow.helper_calls.forget_unbound(call, inert, state)
            return
        target = a.callees.callee(call, other_files=passes_model)
        if target is not None:
            self.flow.helper_calls.apply_summary(call, target, state)
            return
        if isinstance(func, cst.Attribute):
            _unresolved_method(self.flow, call, state)

        if keeps_given_modes(qn, func) or self.flow.assignments.hands_back(call):
            return  # (a loading function out of sight too: `model_io.load_checkpoint(path, model)`)
        if isinstance(func, cst.Name) and (run := inference_helper_key(self.flow, call, state)) is not None:
            self.flow.uses.use(call, run, state)  # (`output = apply_generator(image, generator)`, read out as data)
            return
        if isinstance(func, cst.Attribute) and _in_place_tensor_op(func.attr.value):
            return  # `ema_v.mul_(self.decay)`: a tensor's in-place op reads its arguments' values only
        if not any(_tracked(state, k) for k in map(key_of, (a.value for a in call.args)) if k is not None):
            return  # (nothing followed is given: no need to look into the callee's class)
        if (found := self.project_init(call)) is not None and self.flow.helper_calls.construct(call, found, state):
            return
        copied = _copied_params(self.project_init(call))
        stored = self.stored_arguments(call)
        for arg in call.args:
            key = key_of(arg.value)
            if key is not None and _tracked(state, key) and not (arg.keyword is None and call.args.index(arg) in copied) \
                    and not any(value is arg.value for value in stored.values()) and not _no_module_read(key) \
                    and not plain_data_attribute(self.flow.model, key, self.flow.scope):
                _set(state, key, _UNKNOWN)

    def stored_arguments(self, call: cst.Call, other_files: bool = True) -> dict[str, cst.BaseExpression]:
        """attribute -> argument, for the arguments that a project class (of this file, or with
        ``other_files`` one imported) only stores on ``self`` (``self.model = model`` in ``__init__``, or a
        ``@dataclass`` field of this file): building the instance leaves their modes as they are."""
        func = call.func
        if not isinstance(func, (cst.Name, cst.Attribute)) or any(a.star == "*" for a in call.args):
            return {}  # (but a `**kwargs` bundle: the arguments before it bind as written)
        info = self.flow.model.classes.get(func.value) if isinstance(func, cst.Name) else None
        local = info is not None and self.flow.model.binding(func.value, self.flow.scope) is None
        found = project_class(self.flow.model, func) if local or other_files else None  # (`models.Wrapper(net)`)
        chain = stored_by_init(*found) if found is not None else None
        if chain is not None:
            init, stored = chain
            params = [p.name.value for p in init.params.params[1:]]
        elif not local:
            return {}
        elif any(_is_dataclass_decorator(d.decorator, self.flow.model) for d in info.node.decorators):
            params = [line.body[0].target.value for line in info.node.body.body
                      if isinstance(line, cst.SimpleStatementLine) and isinstance(line.body[0], cst.AnnAssign)
                      and isinstance(line.body[0].target, cst.Name)]
            stored = {name: name for name in params}
        else:
            return {}
        out = {}
        for index, arg in enumerate(call.args):
            if arg.star:
                continue
            param = arg.keyword.value if arg.keyword is not None else params[index] if index < len(params) else None
            if param in stored:
                out[stored[param]] = arg.value
        return out

    def project_init(self, call: cst.Call) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
        """The ``__init__`` of the project class ``call`` builds: of this file, or imported from another."""
        init = self.flow.helper_calls.local_init(call)
        if init is not None:
            return self.flow.a, init
        # (`Wrapper(net)` imported by name, or `models.Wrapper(net)` through the module imported)
        found = project_class(self.flow.model, call.func)
        if found is None or found[0] is self.flow.model:
            return None
        init = found[1].methods.get("__init__")
        return (found[0].analysis(type(self.flow.a)), init) if init is not None else None

    def _passes_tracked(self, call: cst.Call, state: State) -> bool:
        """Whether the call is given a module whose mode this flow follows (``self`` for ``self.f()``)."""
        func = call.func
        keys = [key_of(arg.value) for arg in call.args]
        keys += [key_of(item) for arg in call.args for item in given_items(self.flow.model, arg.value, self.flow.scope)]
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            keys.append(func.value.value)  # `self.f()`, `model.freeze_bn()`
        # a module followed, or one inside it (a helper given `model` may set `model.backbone`'s mode)
        if any(key is not None and (_tracked(state, key) or any(_child_of(k, key) for k in state)) for key in keys):
            return True
        # (or one inside it that is watched: `distiller.teacher`, frozen by the constructor of another file)
        watched = [key for key, _reason in self.flow.watch.values()]
        if any(key is not None and any(_child_of(w, key) for w in watched) for key in keys):
            return True
        # (or an instance that holds this function's own model: `self.mcts.search(x)`, `held_instances`)
        if isinstance(func, cst.Attribute) and isinstance(self.flow.node, cst.FunctionDef) \
                and (receiver := key_of(func.value)) is not None \
                and any(_child_of(stored, receiver) for stored in held_aliases(self.flow.a, self.flow.node)):
            return True
        return self.flow.helper_calls.closure_passes(call, state)


def _applies_mode_keeping(model: "FileModel", fn: cst.BaseExpression) -> bool:
    """``fn`` is a function of this file (or nested: ``def fn(m)``) that sets no mode and calls none of this file."""
    if model.qualname(fn) in _MODE_KEEPING_APPLIED:
        return True
    func = model.local_function(fn.value, model.scope_of(fn)) if isinstance(fn, cst.Name) else None
    if func is None:
        return False
    for node in walk(func.body):
        if isinstance(node, cst.Attribute) and node.attr.value in ("eval", "train", "training", "apply"):
            return False
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and (
                node.func.value in model.functions
                or model.local_function(node.func.value, model.scope_of(node)) is not None):
            return False
    return True


def _for_qat(call: cst.Call) -> bool:
    """``fuse_model(is_qat=True)``: the fusion meant for quantization-aware training, in training mode."""
    return any(arg.keyword is not None and arg.keyword.value == "is_qat" and not (
        isinstance(arg.value, cst.Name) and arg.value.value == "False") for arg in call.args)


def _exported_argument(call: cst.Call, qn: str) -> cst.BaseExpression | None:
    """The module an exporter is given: its positional argument at the table's index, or that parameter by keyword
    (`torch.onnx.export(model=net, ...)`)."""
    index, keyword = _EXPORTS.get(qn, (0, "obj"))  # (`torch.jit.script(obj)`)
    args = [arg for arg in call.args if not arg.keyword and not arg.star]
    if len(args) > index:
        return args[index].value
    return next((arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == keyword), None)


def _gives_false(call: cst.Call) -> bool:
    """`x.requires_grad_(False)`: the call's first argument is the literal False."""
    return bool(call.args) and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == "False"


def _mirror_aliases(aliases: list[tuple[str, str]], before: State, state: State) -> None:
    """One module under two names: what the call did under one happened under the other."""
    for one, other in aliases:
        for changed, twin in ((one, other), (other, one)):
            moved = [k for k in {*state, *before} if (k == changed or _child_of(k, changed))
                     and state.get(k) is not before.get(k)]
            if moved:  # one module under two names: what happened under one happened under the other
                for key in moved:
                    mirrored = twin + key[len(changed):]
                    if key in state:
                        state[mirrored] = state[key]
                        if key == changed:  # (`m.eval()` for `m = self.model`: `self.model.fc` followed too)
                            for part in [k for k in state if _child_of(k, mirrored) and changed + k[len(twin):] not in moved]:
                                state[part] = state[key]
                    else:
                        _forget(state, mirrored)
                break
        else:  # a module holding one of the names changed mode (`bn = model[1]`; `model.eval()`)
            for name, twin in ((one, other), (other, one)):
                if name not in state and any(_child_of(name, k) and state.get(k) is not before.get(k)
                                             for k in {*state, *before}):
                    state[twin] = _lookup(state, name)
                    break


def _saved_script(model: "FileModel", call: cst.Call) -> bool:
    """``m = torch.jit.script(model)`` then ``m.save(path)`` / ``torch.jit.save(m, path)`` in the same function (or
    ``torch.jit.script(model).save(path)``): a TorchScript file saved with the mode the module has (its `training`
    flag is kept: a deployment that loads it runs BatchNorm with batch statistics), an export."""
    from bn_lint.semantic.modes.inference_runs import trains_in_file
    from bn_lint.semantic.modes.training_steps import _TRAIN_NAME

    function = next((a for a in model.ancestors(call) if isinstance(a, cst.FunctionDef)), None)
    if trains_in_file(model) or function is not None and _TRAIN_NAME.search(function.name.value):
        return False  # (a training script scripting its model: a check that it scripts, `init.zip`, not its deployment)
    parent = model.parent(call)
    if isinstance(parent, cst.Attribute) and parent.attr.value == "save":
        return True
    if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name)):
        return False
    name = parent.targets[0].target.value
    body = function or model.module
    for other in model.nodes_of(body, cst.Call):
        func = other.func
        if isinstance(func, cst.Attribute) and func.attr.value == "save" and isinstance(func.value, cst.Name) \
                and func.value.value == name or model.qualname(func) == "torch.jit.save" and other.args \
                and isinstance(other.args[0].value, cst.Name) and other.args[0].value.value == name:
            return True
    return False


def _method_use_site(flow, call: cst.Call, key: str) -> Site:
    """The use ``model.<method>(x)`` makes of a model its caller gives: a run of ``model`` itself for a run method
    (``model.get_prediction_and_logits(x)``) the project defines where this file sees it and never sets a mode in,
    on a receiver named as a module; otherwise a use of ``model.<method>``, followed only where a caller passes
    exactly that (a ``predict`` that calls ``self.eval()``, one out of sight, ``self._base_algo.predict(x)``)."""
    func = call.func
    method, receiver = func.attr.value, key_of(func.value)
    if RUN_METHOD.fullmatch(method) and named_as_module(receiver) and flow.model.method_texts(method) \
            and method_keeps_modes(flow.a, method):
        return Site(call, receiver, _ENTRY, flow.scope)
    return Site(call, key, _ENTRY, flow.scope, exact=True)


def _no_module_read(key: str) -> bool:
    """``model.SCOPE``, ``model.weight``: a constant (a name in capitals) or a tensor a module holds, read from it
    and given to a call, which cannot change a mode through it (a submodule, ``model.backbone``, can)."""
    _, dot, last = key.rpartition(".")
    return bool(dot) and (last.isupper() or last in _TENSOR_ATTRIBUTES)


def _unresolved_method(flow, call: cst.Call, state: State) -> None:
    """What ``model.<method>(x)`` of a method no definition was found for does to a followed ``model``, read from the
    text of the definitions of that name: leaves it in eval (``predict()`` that runs the model after ``self.eval()``),
    runs it (``model.training_step(batch)``), or may set its mode (an unknown method; not a wrapper's
    ``model.module(...)``, its module run)."""
    a, func = flow.a, call.func
    receiver, method = key_of(func.value), func.attr.value
    if receiver is None or not _tracked(state, receiver) or receiver == "self":
        return
    if method_evaluates_self(a, method):
        flow.assignments.set_mode(state, receiver, frozenset({Fact(EVAL, call, "helper", f"`{method}()` at line {{line}} calls `self.eval()`")}))
    elif not a.model.method_texts(method) and flow.uses.trains_here(a.region(call)) and _result_trained(a, call):
        pass  # (`loss = student.model(batch)` with `loss.backward()`: a forward of a part or method out of sight, no switch)
    elif not submodule_name(a, method) and not _in_place_tensor_op(method) and method != "module" \
            and receiver.rpartition(".")[2] not in _TENSOR_ATTRIBUTES and not TRAINING_TOOLS.fullmatch(receiver.rpartition(".")[2]) \
            and not method_keeps_modes(a, method, repository=named_as_module(receiver)):
        _set(state, receiver, _UNKNOWN)
    elif method_runs_self(a, method):
        flow.uses.use(call, receiver, state)


def _result_trained(analysis, call: cst.Call) -> bool:
    from .training_steps import result_trained

    return result_trained(analysis, call)


def _copied_params(found) -> set[int]:
    """Positions of the arguments a project class (``found``: its file's analysis and ``__init__``) only deep-copies
    in ``__init__`` (``ModelEma(model)``): the caller's model is not kept, so its mode does not change."""
    if found is None:
        return set()
    analysis, init = found
    read = list(_names_read(init.body))
    copied = list(_deep_copies(init, analysis.model).values())
    return {index for index, param in enumerate(init.params.params[1:])
            if param.name.value in read and read.count(param.name.value) == copied.count(param.name.value)}
