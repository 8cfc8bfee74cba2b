"""The flow's assignments: what a name or attribute holds, containers, aliases, instances built."""
from __future__ import annotations

from typing import TYPE_CHECKING

import os
import re

import libcst as cst

from bn_lint.semantic.project.pass_through import passed_through
from bn_lint.semantic.nn_modules.bearing import ModelKind, element_kind, model_kind
from bn_lint.semantic.project.definitions import imported_name, project_builder
from bn_lint.semantic.file.classes import is_nn_module_class
from .built_classes import built_classes
from .conditions import _condition, _condition_name
from .constructors import _deep_copies
from .saved_modes import saved_mode
from .keys import _container_elements, key_expression, _names_read, _unwrap_passthrough, key_of, looked_up_owner, one_module, key_root
from .dict_entries import literal_entries, returned_entries
from .optimizers import optimised_parts
from .getters import got_from_receiver, got_from_self
from .known_calls import _CONTAINERS, loads_weights
from .records import Summary
from .path_objects import REBOUND, REBOUND_HERE, alternative_out_of_sight, path_facts
from .state import ENTRY, EVAL, TRAIN, Fact, State, UNKNOWN_MODE, _child_of, _forget, _lookup, _set, _tracked

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from .flow import _Flow


class FlowAssignments:
    """A part of the walk of one function (``flow.assignments``): assignments."""

    def __init__(self, flow: "_Flow") -> None:
        self.flow = flow

    # ------------------------------------------------------------ assignments
    def assign(self, target: cst.BaseExpression, value: cst.BaseExpression | None, state: State) -> None:
        if isinstance(value, cst.Call) and isinstance(self.flow.scope.node, cst.FunctionDef):
            # `model = self.get_model()`, `model, inputs = self.get_module()`: a getter's `self.model` itself
            if isinstance(target, cst.Name):
                value = got_from_self(self.flow.model, self.flow.scope.node, value, None) or got_from_receiver(self.flow.a, value) \
                    or value
            elif isinstance(target, (cst.Tuple, cst.List)) \
                    and not any(isinstance(e, cst.StarredElement) for e in target.elements):
                got = [got_from_self(self.flow.model, self.flow.scope.node, value, i) for i in range(len(target.elements))]
                if any(g is not None for g in got):
                    for element, given in zip(target.elements, got):
                        self.assign(element.value, given, state)
                    return
        if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)) \
                and len(target.elements) == len(value.elements) \
                and not any(isinstance(e, cst.StarredElement) for e in (*target.elements, *value.elements)):
            written = {key_of(e.value) for e in target.elements}
            roots = {key_root(k) for k in written if k is not None}
            if None not in written and not roots & set(_names_read(value)):  # (not a swap: `a, b = b, a`)
                for element, given in zip(target.elements, value.elements):  # `G, D = Gen(), Disc()`
                    self.assign(element.value, given.value, state)
                return
        if isinstance(target, (cst.Tuple, cst.List)):
            given = _loaded_back(self.flow.model, value, target.elements[0].value, state) if target.elements else None
            handed_back = self._handed_back(target, value, state)
            # (each element's mode as the call gives it, read before any name is rebound: `epoch, model, opt =
            # resume(path, epoch, model, opt)` gives back the `model` it was given)
            # (into names and access paths alike: `self.model, self.predictor = self.get_models()`)
            keys = [key_of(element.value) for element in target.elements]
            unpacked = {index: self._unpacked(key, value, index, state)
                        for index, key in enumerate(keys) if isinstance(value, cst.Call) and key is not None}
            for index, element in enumerate(target.elements):
                self.assign(element.value, None, state)
                if unpacked.get(index) is not None:
                    state[keys[index]] = unpacked[index]
                    self.flow.applied_freezes.frozen_in_result(value, keys[index], index)
            if given is not None and key_of(target.elements[0].value) not in state:
                state[key_of(target.elements[0].value)] = given  # `model, optimizer, epoch = load_checkpoint(path, model)`
            for key, facts in handed_back.items():
                if key not in state:
                    state[key] = facts
            return
        if isinstance(target, cst.StarredElement):
            self.assign(target.value, None, state)
            return
        flag = _condition(target) if isinstance(target, (cst.Name, cst.Attribute)) else None
        if flag is not None and self.flow.assume:
            self.flow.assume = {k: v for k, v in self.flow.assume.items() if _condition_name(k) != flag[0]}
            test = _condition(value) if value is not None else None
            if test is not None and test[0] in self.flow.assume:  # `is_train = phase == "train"`, the test decided
                self.flow.assume[flag[0]] = self.flow.assume[test[0]] == test[1]
        if isinstance(target, cst.Attribute) and target.attr.value == "requires_grad" and value is not None:
            self.flow.freezes.frozen_parameter(target, value, state)
            return
        if isinstance(target, cst.Attribute) and target.attr.value == "training":
            self.flow.statements.mode_meant(target, target.value, state)  # `model.training = False`: BN102's finding
            return
        key = key_of(target)
        if isinstance(target, cst.Name) and (owner := looked_up_owner(value)) is not None and _tracked(state, owner):
            self.flow.part_vars[target.value] = owner  # `net = getattr(self, 'net' + name)`: a part of `self`
            self.flow.looked_up.add(target.value)
        if key is None or isinstance(target, cst.Name) and value is not None and key_of(value) == f"{key}.module":
            return  # (`net = net.module`, the statement form of the DDP unwrap: the module it names, in its mode)
        self.flow.flags.pop(key, None)
        self.flow.flag_words.pop(key, None)
        self._record_parts(key, value, state)
        facts = self.flow.values.value_facts(value, state) if value is not None else None
        if facts is None:
            facts = _loaded_back(self.flow.model, value, target, state)
        if facts is None and isinstance(target, cst.Name) and self._optimized(target.value, value):
            facts = self.flow.values.built_by(_unwrap_passthrough(value), ModelKind.MAYBE, state) \
                or frozenset({Fact(UNKNOWN_MODE, value, "built", "", ModelKind.MAYBE)})
        if facts is None and isinstance(target, cst.Name) and alternative_out_of_sight(self.flow, target.value, value):
            facts = frozenset({Fact(UNKNOWN_MODE, value, "loaded", "", None)})  # (another object, on its own path)
        saved = saved_mode(value) if value is not None else None
        if saved is not None:  # (`was = model.training`, `mode = "train" if model.training else "eval"`)
            self.flow.flags[key] = (saved[0], _lookup(state, saved[0]))
            self.flow.flag_words.update({key: saved[1]} if saved[1] is not None else {})
        _forget(state, key)
        source = key_of(value) if isinstance(value, (cst.Name, cst.Attribute, cst.Subscript)) \
            or one_module(value) is not value else self.flow.values.wrapped(value)
        if source != key:  # (`model = convert_sync_batchnorm(model)`: still the module it named)
            self.flow.aliases = [(one, other) for one, other in self.flow.aliases
                            if not any(k == key or _child_of(k, key) for k in (one, other))]
        if facts is not None and isinstance(target, cst.Attribute) and isinstance(value, cst.Name) \
                and _read_from(self.flow.scope, value.value, key):
            facts = None  # (`n = model.cfg.n; ...; model.cfg.n = n`: a value put back where it was read, no mode of its own)
        if isinstance(target, cst.Name) and key in self.flow.params[:self.flow.declared] and source != key:  # (a global: the same)
            state[REBOUND + key] = REBOUND_HERE  # (`if model is None: model = Net()`: another object on this path)
        if facts is not None:
            state[key] = facts
            self.flow.applied_freezes.frozen_in_result(value, key)
            if source is not None and source != key and isinstance(target, cst.Name) and not _child_of(source, key):
                self.flow.aliases.append((key, source))  # `m = self.model`: one module under two names
        elif isinstance(value, cst.Call):
            self._copied_in_init(value, key, state)
        elif source is not None and source != key and isinstance(target, cst.Name) and not _child_of(source, key) \
                and any(_child_of(k, source) for k in state):
            self.flow.aliases.append((key, source))  # (`net = nets['cut']` with only `nets['cut'].in_nodes` followed)
        built = _unwrap_passthrough(value)
        if isinstance(built, cst.Call) and isinstance(target, cst.Name):
            self._stored_in_init(built, key, state)  # `model = Classifier(encoder)`: model.encoder is encoder
            if facts is None:  # (`trainer = Trainer(opts)`, a plain object whose `__init__` freezes a part it builds)
                self.flow.applied_freezes.frozen_in_result(value, key)
        if isinstance(value, cst.Dict):
            literal_entries(self.flow, key, value, state)
        elif isinstance(value, cst.Call) and isinstance(target, cst.Name) and facts is None:
            returned_entries(self.flow, key, value, state)

    def _init_state(self, call: cst.Call) -> State | None:
        """What ``__init__`` of the project class that ``call`` builds (of this file or another) leaves on ``self``
        (``self.model = Net()``, ``self.ema = ModelEMA(self.model)``), as ``self.*`` keys; None for another call."""
        if _module_class_elsewhere(self.flow.model, call):
            return None
        found = self.flow.calls.project_init(call)
        return init_state(self.flow.a, call, [found] if found is not None else _factory_inits(self.flow.a, call))

    def fresh_instance_call(self, call: cst.Call) -> bool:
        """``Trainer(args).fit()``: the method runs on what ``__init__`` left on the new instance."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call)):
            return False
        built = func.value
        info = self.flow.model.classes.get(built.func.value) if isinstance(built.func, cst.Name) else None
        if info is None or func.attr.value not in info.methods or self._init_state(built) is None:
            return False
        self.flow.a.method_calls.setdefault(info.methods[func.attr.value], []).append((self._init_state(built) or {}, None, None))
        return True

    def _optimized(self, name: str, value: cst.BaseExpression | None) -> bool:
        """``model = create_model(cfg.arch)`` of unknown content whose parameters this function hands to a
        ``torch.optim`` optimizer: an ``nn.Module`` (of unknown BatchNorm content: MAYBE)."""
        value = _unwrap_passthrough(value)
        if not isinstance(value, cst.Call) or isinstance(value.func, cst.Name) and value.func.value in self.flow.model.classes:
            return False
        if model_kind(self.flow.model, value, self.flow.model.scope_of(value)) is ModelKind.NO:
            return False  # `nn.Linear(1, 1)`, `get_net()` returning one: known to hold no BatchNorm
        if self.flow._optimized_names is None:
            self.flow._optimized_names = set()
            for node in self.flow.model.nodes_of(self.flow.node if isinstance(self.flow.node, cst.FunctionDef) else self.flow.model.module, cst.Call):
                if node.args and (self.flow.model.qualname(node.func) or "").startswith("torch.optim."):
                    parts = optimised_parts(self.flow.model, node.args[0].value, self.flow.model.scope_of(node)) or ()
                    self.flow._optimized_names.update(part for part in parts if "." not in part and "[" not in part)
        return name in self.flow._optimized_names

    def _stored_in_init(self, call: cst.Call, key: str, state: State) -> None:
        """``trainer = Trainer(net)`` whose class stores ``net`` as ``self.model``: ``trainer.model`` is
        ``net``, under a second name (an alias: a mode change under either is one under the other)."""
        for self_key, facts in (self._init_state(call) or {}).items():  # `self.model = Net()` in `__init__`
            state[key + self_key[len("self"):]] = facts
        passes = any(_tracked(state, k) or k == "self" or k.startswith("self.")
                     for k in map(key_of, (a.value for a in call.args)) if k is not None)
        stored = self.flow.calls.stored_arguments(call, other_files=passes)
        settled = self._settled_by_init(call, stored, state) if stored else {}
        for attribute, arg in stored.items():
            held = key_of(arg)
            if held is not None and (held == "self" or held.startswith("self.") or _tracked(state, held)):
                # (what it holds of this function's own, resolved through its callers: ``entry``)
                self.flow.a.stored_aliases.setdefault(self.flow.node, {})[f"{key}.{attribute}"] = held
            if held is not None and _tracked(state, held):
                if attribute in settled:  # (`self.model = model; self.model.eval()`: the caller's module too)
                    _set(state, held, settled[attribute])
                state[f"{key}.{attribute}"] = _lookup(state, held)
                self.flow.aliases.append((f"{key}.{attribute}", held))
            elif held is None:  # `Trainer(Net())`: a module only the trainer holds
                facts = self.flow.values.value_facts(arg, state)
                if facts is not None:
                    state[f"{key}.{attribute}"] = facts

    def _settled_by_init(self, call: cst.Call, stored: dict[str, cst.BaseExpression], state: State) -> dict[str, frozenset]:
        """attribute -> the mode ``__init__`` (of this file or another) leaves a stored argument in on every path
        (``self.model = model; self.model.eval()``); an attribute it leaves as given on some path is not here."""
        found = None if _module_class_elsewhere(self.flow.model, call) else self.flow.calls.project_init(call)
        summary = found[0].summary(found[1]) if found is not None else None
        if summary is None:
            return {}
        out = {}
        for attribute, arg in stored.items():
            facts = summary.effects.get(f"self.{attribute}")
            held = key_of(arg)
            if facts and held is not None and not ({f.mode for f in facts} & {ENTRY, UNKNOWN_MODE}):
                out[attribute] = self.flow.helper_calls.translate(facts, _lookup(state, held), call, summary, found[0])
        return out

    def _unpacked(self, key: str, call: cst.Call, index: int, state: State) -> frozenset | None:
        """``model, preprocess = build_model()``: the modes of ``model`` (a name or an access path such as
        ``self.model``), element 0 of the tuple the builder returns; of the model it was given, for a function
        that gives back one of its arguments there."""
        if self.flow.scope is not None and "." not in key and key not in self.flow.scope.opaque:
            return None  # (not a name of this function: `global model`)
        # (a function given a followed model may give it back: `resume(path, epoch, model, opt)`; others are not looked up)
        passes = any(key_of(arg.value) is not None and _tracked(state, key_of(arg.value)) for arg in call.args)
        target = self.flow.a.callees.callee(call) if passes else None
        given = passed_through(target[0].model, target[1], call, index) if target is not None else None
        if given is not None:  # `epoch, model, opt = resume(path, epoch, model, opt)`: the model it was given
            return self.flow.values.value_facts(given, state)
        kind = element_kind(self.flow.model, call, index, self.flow.scope)
        if kind not in (ModelKind.BN, ModelKind.MAYBE):
            return None
        return self.flow.values.built_by(call, kind, state, index)

    def _handed_back(self, target: cst.BaseExpression, value: cst.BaseExpression | None, state: State) -> dict:
        """``model, optimizer = amp.initialize(model, optimizer, ...)``: the objects a call out of sight hands
        back to the names of its arguments (``hands_back``), in the mode each had."""
        if not isinstance(value, cst.Call) or not self.hands_back(value, target):
            return {}
        keys = [key_of(e.value) for e in target.elements]
        return {k: _lookup(state, k) for k in keys if k is not None and _tracked(state, k)}

    def hands_back(self, call: cst.Call, target: cst.BaseExpression | None = None) -> bool:
        """``model, optimizer = amp.initialize(model, optimizer, ...)``, ``model, opt, loader =
        accelerator.prepare(model, opt, loader)``: a call out of sight (not the project's) whose results are
        bound back, in order, to the names of the arguments it was given hands back those objects, their
        modes unchanged (as ``DDP(model)`` does)."""
        if target is None:
            parent = self.flow.model.parent(call)
            if not (isinstance(parent, cst.Assign) and parent.value is call and len(parent.targets) == 1):
                return False
            target = parent.targets[0].target
        if not isinstance(target, (cst.Tuple, cst.List)) or len(target.elements) < 2:
            return False
        args = [a for a in call.args if a.keyword is None]
        if len(args) != len(target.elements) or any(a.star for a in args):
            return False
        keys = [key_of(e.value) for e in target.elements]
        if any(k is None or k != key_of(a.value) for k, a in zip(keys, args)):
            return False
        func = call.func
        return not ((isinstance(func, cst.Name) and func.value in self.flow.model.functions)
                    or project_builder(self.flow.model, func) or self.flow.a.callees.callee(call) is not None)

    def set_mode(self, state: State, key: str, facts: frozenset) -> None:
        """Set ``key``'s mode, and that of the modules a container built here holds; on a path where ``key``
        is a parameter the function rebound to another object, the mode of that object (``Fact.local``)."""
        _set(state, key, path_facts(self.flow, state, key, facts))
        for part in self.flow.parts.get(key, ()):
            if _tracked(state, part):
                _set(state, part, facts)

    def _record_parts(self, key: str, value: cst.BaseExpression | None, state: State) -> None:
        """``key = nn.Sequential(encoder, head)`` (``.to(device)`` allowed): the followed modules in it
        (``model = model.to(device)`` is the same module: its parts stay)."""
        value = _unwrap_passthrough(value)
        if value is not None and key_of(value) == key:
            return
        self.flow.parts.pop(key, None)
        for parts in self.flow.parts.values():
            parts.discard(key)
        if not (isinstance(value, cst.Call) and self.flow.model.qualname(value.func) in _CONTAINERS):
            return
        members = {k for k in map(key_of, _container_elements(value)) if k is not None and _tracked(state, k)}
        if members:
            self.flow.parts[key] = members

    def _copied_in_init(self, call: cst.Call, key: str, state: State) -> None:
        """``ema = ModelEma(model)`` where ``__init__`` does ``self.module = copy.deepcopy(model)``: follow
        ``ema.module`` from the mode of the model copied, then what ``__init__`` does to it (``.eval()``).
        Copies only: an attribute that refers to the caller's model would share its later mode changes.
        The class may live in another project file (``from ema import ModelEma``)."""
        if not any(_tracked(state, k) for k in map(key_of, (a.value for a in call.args)) if k is not None):
            return
        found = self.flow.calls.project_init(call)
        if found is None:
            return
        analysis, init = found
        bound = dict(self.flow.helper_calls.bind_args(call, Summary(params=[p.name.value for p in init.params.params[1:]])))
        copies = _deep_copies(init, analysis.model)
        copied: list[str] = []
        for line in init.body.body:
            assign = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
            if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and assign.value in copies):
                continue
            target, param = assign.targets[0].target, copies[assign.value]
            if isinstance(target, cst.Attribute) and key_of(target.value) == "self" and param in bound:
                facts = self.flow.values.value_facts(bound[param], state)
                if facts is not None:
                    state[f"{key}.{target.attr.value}"] = facts
                    copied.append(target.attr.value)
        summary = analysis.summary(init) if copied else None
        if summary is not None:
            effects = {k: f for k, f in summary.effects.items() if k.partition(".")[2].split(".")[0] in copied}
            self.flow.helper_calls.apply_effects(call, [("self", key_expression(key))], effects, summary, analysis, state)


def _loaded_back(model: "FileModel", value: cst.BaseExpression | None, target: cst.BaseExpression, state: State) -> frozenset | None:
    """``model = load_checkpoint(path, model)``, ``model, _, _ = model_io.load_checkpoint(path, model)``: a
    loading function whose code is out of sight (not this project's), given the module that its result
    is bound back to, gives that module back in the mode it had (``load_state_dict`` keeps it)."""
    name = target.value if isinstance(target, cst.Name) else None
    if name is None or not isinstance(value, cst.Call) or not _tracked(state, name):
        return None
    func = value.func
    if not loads_weights(func) or not any(key_of(arg.value) == name for arg in value.args):
        return None
    if (isinstance(func, cst.Name) and func.value in model.functions) or project_builder(model, func):
        return None  # (the project's own: its returns are followed)
    return _lookup(state, name)


def _read_from(scope, name: str, key: str) -> bool:
    """Whether the scope binds ``name`` to a read of ``key`` (``audio_length = model.audio_cfg.audio_length``)."""
    return any(key_of(value) == key for value in scope.bindings.get(name) or () if value is not None)


def _seen_from_call(model, call: cst.Call, owner, effects: dict) -> dict:
    """The modes another file's ``__init__`` leaves, told at ``call`` of this file (a fact's node must be of it)."""
    where = f"`{model.code(call.func)}(...)` (its `__init__` in {os.path.basename(owner.model.path)})"
    return {key: frozenset(
        Fact(TRAIN, call, "helper", f"{where} builds it (modules start in training mode)", f.kind)
        if f.mode == TRAIN and f.why == "built" else
        Fact(UNKNOWN_MODE, call, "loaded", "", f.kind) if f.mode == UNKNOWN_MODE and f.why == "loaded" else
        Fact(f.mode, call, "helper", f"{where} {'calls `.eval()`' if f.mode == EVAL else 'calls `.train()`'}", f.kind)
        for f in facts) for key, facts in effects.items()}


def init_state(analysis, call: cst.Call, inits: list) -> State | None:
    """What the ``__init__`` summaries ``inits`` (one per class ``call`` may build) leave on ``self``, told at ``call``:
    each key with the modes of every class that sets it (one path each); None where none is worked out."""
    out = None
    for owner, init in inits:
        summary = owner.summary(init)
        if summary is None:
            continue
        # (a part built on one of its paths, `define_G()` whose other branches are out of sight, keeps that path)
        kept = {k: facts for k, facts in summary.effects.items()
                if k.startswith("self.") and ENTRY not in {f.mode for f in facts}
                and (UNKNOWN_MODE not in {f.mode for f in facts} or _built_on_a_path(facts))}
        seen = kept if owner is analysis else _seen_from_call(analysis.model, call, owner, kept)
        out = seen if out is None else {k: out.get(k, frozenset()) | seen.get(k, frozenset()) for k in {*out, *seen}}
    return out


def _built_on_a_path(facts: frozenset) -> bool:
    """Whether ``facts`` (modes ``__init__`` leaves a part in) hold a fresh build on one path beside others out of
    sight (``self.netF = define_G(...)``, some of whose branches the code does not show)."""
    return any(f.mode == TRAIN and f.why == "built" for f in facts) \
        and all(f.mode == TRAIN or f.mode == UNKNOWN_MODE and f.why == "loaded" for f in facts)


def _factory_inits(analysis, call: cst.Call) -> list:
    """``model = create_model(opt)``: the ``__init__`` of each plain project class the call may build (a function
    whose returns all build one: ``return Pix2PixModel(opt)``; or a class picked at run time among a base's
    subclasses: ``find_model_using_name(opt.model)(opt)``), with its file's analysis; none for a module class (its
    parts follow the instance's mode) or another call."""
    if not isinstance(call.func, (cst.Name, cst.Attribute)) or isinstance(call.func, cst.Name) \
            and call.func.value in analysis.model.classes:
        return []
    return [(owner, info.methods["__init__"]) for owner, info in built_classes(analysis, call)
            if "__init__" in info.methods and not is_nn_module_class(owner.model, info)]


def _module_class_elsewhere(model, call: cst.Call) -> bool:
    """Whether ``call`` builds a class of another project file whose text derives it from a module class (read
    without parsing it): its parts follow the instance's mode, so what its ``__init__`` leaves them in is not
    needed (``model = Net()``); a trainer or other plain class (``Trainer(cfg)``) is read."""
    func = call.func
    if isinstance(func, cst.Name) and func.value in model.classes or model.project is None:
        return False
    dotted = imported_name(model, func)
    where = model.imported_path(dotted, "class") if dotted else None
    if where is None:
        return False
    pattern = rb"class\s+" + re.escape(where[1].encode()) + rb"\s*\([^)]*(Module|Lightning|Net\b)"
    return model.project.matches(where[0], pattern)

