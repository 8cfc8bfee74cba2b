"""What a function's ``entry`` mode stands for: the modes its callers (or ``__init__``) pass in."""
from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.file.classes import module_forward, super_call
from bn_lint.semantic.project.definitions import inherited_definition
from bn_lint.semantic.nn_modules.bearing import ModelKind, model_kind
from bn_lint.semantic.syntax.followed import entered
from .held_by_class import entered_from_outside, held_by_class, model_base, run_by_inherited
from .held_instances import held_aliases, stored_as
from .training_steps import result_trained
from .getters import got_from_self
from .dominating import last_mode_call
from .keys import _called_name, _unwrap_passthrough, _declared_global, _in_function, _names_read, key_of, receiver_key, key_root
from .known_calls import _EXPORTS, _MODE_SETTERS, _SAFE_CALLEES, _WRAPPERS, keeps_given_modes
from .records import Site
from .state import ENTRY, EVAL, TRAIN, UNKNOWN_MODE, _ENTRY, Fact, _lookup

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import ModeAnalysis
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope


class EntryResolution:
    """A part of the mode analysis (``analysis.entry``): resolving ``entry`` facts through callers."""

    def __init__(self, analysis: "ModeAnalysis") -> None:
        self.analysis = analysis

    # ---------------------------------------------------------- for the rules
    def passed_kinds(self, func: cst.FunctionDef, param: str) -> set[ModelKind] | None:
        """The kinds of module that every call of this file's function ``func`` passes as ``param``.

        None when it is never called here, or some call passes something not known to be a module.
        """
        self.analysis.run()
        if self.analysis.model.functions.get(func.name.value) is not func:
            return None
        passed = self.analysis.call_args.get(f"{func.name.value}.{param}")
        if not passed:
            return None
        kinds: set[ModelKind] = set()
        for arg_key, caller_state, caller in passed:
            facts = _lookup(caller_state, arg_key)
            if facts and all(f.kind is not None for f in facts):
                kinds |= {f.kind for f in facts}  # type: ignore[misc]
                continue
            # a mode set since it was built (`model.train()`): the kind of what the name is bound to
            scope = self.analysis.model.scopes.get(caller) or (self.analysis.model.module_scope if isinstance(caller, cst.Module) else None)
            scope = scope if "." not in arg_key and "[" not in arg_key else None
            kind = model_kind(self.analysis.model, cst.Name(arg_key), scope) if scope is not None else None
            if kind is None:
                return None
            kinds.add(kind)
        return kinds

    def resolved(self, site: Site, first: bool = False, assumed: dict | None = None,
                 evaluating: bool = False) -> frozenset:
        """The site's facts, with ``entry`` replaced by what every call site in this file passes in
        (through callers that pass on their own parameter, a few levels up); with ``first``, what the
        first pass of each ``self.method()`` call passes (the first iteration of the loops around it); with
        ``assumed`` (the tests a path assumes: ``is_training`` false), only what the calls that do not decide
        them otherwise pass; ``evaluating``, only the calls whose result no backward pass trains on (a
        ``predict()`` a training step calls runs there for training, not evaluation)."""
        return self._resolve(self.analysis.enclosing_function(site.node), site.key, site.facts, frozenset(), site.exact, first, assumed,
                             evaluating, site.node)

    def _resolve(self, func: cst.FunctionDef | None, key: str, facts: frozenset, following: frozenset,
                 exact: bool = False, first: bool = False, assumed: dict | None = None,
                 evaluating: bool = False, node: cst.CSTNode | None = None) -> frozenset:
        """``resolved``'s answer for ``key`` entering ``func``: worked out once per question (a caller reached on many
        paths is asked once), except where the answer was cut short by a question met again on its way."""
        if not any(f.mode == ENTRY for f in facts):
            return facts
        on_the_way = entered(following, (id(func), key))  # (callers however far up, each (function, key) once)
        if on_the_way is None:
            self.analysis.__dict__["_resolve_cut"] = True
            return facts
        question = (id(func), key, facts, exact, first, evaluating, len(self.analysis.call_args), len(self.analysis.method_calls)) \
            if assumed is None and node is None else None
        return _answered_once(self.analysis, question, lambda: self._resolve_entered(
            func, key, facts, on_the_way, exact, first, assumed, evaluating, node))

    def _resolve_entered(self, func: cst.FunctionDef | None, key: str, facts: frozenset, following: frozenset,
                         exact: bool, first: bool, assumed: dict | None, evaluating: bool,
                         node: cst.CSTNode | None) -> frozenset:
        root, _, rest = key.partition(".")
        origin = parameter_alias(self.analysis.model, func, root) if func is not None and root != "self" else None
        if origin is not None:  # `s = torch.jit.script(net)`: `s` enters as the parameter `net` does
            key = origin + (f".{rest}" if rest else "")
            root, _, rest = key.partition(".")
        elif func is not None and (stored := stored_as(held_aliases(self.analysis, func), key)) is not None:
            key = stored  # `mcts = PVMCTS(self.model)`: `mcts.model` enters as `self.model` does
            root, _, rest = key.partition(".")
        if func is not None and root == "self" and (func in self.analysis.method_calls or func in self.analysis.held_calls):
            # a method: what the class's own `self.method()` calls leave `self.model` in
            calls = [one for one in self.analysis.method_calls.get(func, ()) if not (evaluating and one[2] is not None
                                                                            and result_trained(self.analysis, one[2]))]
            if assumed:  # (the calls whose arguments decide the path's tests as it assumes them)
                calls = [one for one in calls if one[2] is None or all(
                    self.analysis.given.decided_tests(func, one[2], defaults=True).get(test, held) == held for test, held in assumed.items())] or calls
            if first:  # (each caller's first pass)
                firsts: dict = {}
                for one in calls:
                    firsts.setdefault(one[1], one)
                calls = list(firsts.values())
            passed = [("self", state, caller) for state, caller, _ in calls]
            # (calls on an instance a function holds, resolved through that function: `mcts.model` of `selfPlay`)
            held = [(receiver, state, caller) for receiver, state, caller, call in self.analysis.held_calls.get(func, ())
                    if not (evaluating and result_trained(self.analysis, call))]
            if rest and all(caller is None and _lookup(state, key) == _ENTRY for _, state, caller in passed) \
                    and self._held_at_rest(func, rest.split(".")[0]):
                # called only from outside on an instance whose mode nothing shows (`spotter.predict(w)` in a
                # route): `self.model` as `__init__` leaves it, when nothing else changes it
                holder = self._holder_class(func, rest.split(".")[0])
                passed = [("self", _init_effects(self.analysis, *holder), holder[1])]  # type: ignore[misc]
            elif rest and (outside := entered_from_outside(self.analysis, func, key, passed)) is not None:
                passed = outside  # (`if not handler.initialized: handler.initialize()`: as the class leaves it)
            passed = passed + held
        elif func is not None and root == "self" and rest and self._held_at_rest(func, rest.split(".")[0]):
            # a server's or predictor's method: `self.model` as `__init__` leaves it
            holder = self._holder_class(func, rest.split(".")[0])
            passed = [("self", _init_effects(self.analysis, *holder), holder[1])]  # type: ignore[misc]
        elif func is not None and root == "self" and rest \
                and (trained := self._trained_in_class(func, rest.split(".")[0])):
            # an agent's `act` beside its `learn`: `self.actor` as the class's own training step leaves it
            passed = [("self", trained, None)]
        elif func is not None and root == "self" and rest and (held := held_by_class(self.analysis, func, rest.split(".")[0])):
            # a trainer's `predict`, a handler's `inference`: the modes its class's other methods leave it in
            passed = [("self", held, None)]
        elif func is None or self.args_key(func) is None:
            return facts
        elif assumed and self.analysis.call_sites.get(f"{self.args_key(func)}.{root}"):
            # (`compute_loss(..., is_training=False)` on the path under `is_training` false: not the training calls;
            # with `first`, their loops' first pass)
            where = f"{self.args_key(func)}.{root}"
            sites = self.analysis.first_call_args.get(where, {}).items() if first else self.analysis.call_sites[where]
            passed = [one for call, one in sites
                      if all(self.analysis.given.decided_tests(func, call, defaults=True).get(test, held) == held
                             for test, held in assumed.items())]
        elif self.analysis.model.functions.get(func.name.value) is not func:
            # a method's parameter: its callers'
            passed = _passed(self.analysis, f"{self.args_key(func)}.{root}", first, evaluating)
            if not passed and module_global_of_nested(self.analysis.model, func, root) and self._at_rest(func, root):
                passed = [(root, self.analysis.module_state(), self.analysis.model.module)]  # (a route nested in an app factory)
        else:
            passed = _passed(self.analysis, f"{func.name.value}.{root}", first, evaluating)
            if not passed and self._at_rest(func, root):
                passed = [(root, self.analysis.module_state(), self.analysis.model.module)]
            elif not passed and not rest and _none_at_module(self.analysis.model, root) and not _mode_set_anywhere(self.analysis.model, root):
                passed = [(root, {}, self.analysis.model.module)]  # a lazily built global: None until a helper builds it
            elif not passed and "." not in rest and _function_attribute(self.analysis.model, key):
                passed = [(root, {}, self.analysis.model.module)]  # `infer.model`: unset until the function builds it
        # calls that leave the parameter at its default `None`: no module enters there (`if model is None:
        # model = resnet18()` builds the one the function runs)
        left_none = len(self.analysis.none_args.get(f"{self.args_key(func)}.{root}", ())) if func is not None \
            and self.args_key(func) is not None and root != "self" else 0
        if not passed and left_none and any(f.mode != ENTRY for f in facts):
            return frozenset(f for f in facts if f.mode != ENTRY)
        if not passed:
            return facts
        own = {f for f in facts if f.mode != ENTRY}
        out, by_caller = set(own), {}  # (each calling function's passes, joined: a loop's iterations are one caller)
        training = False
        no_module = 0  # callers on whose path it holds no module at all
        for arg_key, caller_state, caller_node in passed:
            passed_key = f"{arg_key}.{rest}" if rest else arg_key  # `ema.module` for `validate(ema)`
            caller = _lookup(caller_state, passed_key)
            if isinstance(caller_node, cst.Module) and passed_key not in caller_state \
                    and (_none_at_module(self.analysis.model, passed_key) or _function_attribute(self.analysis.model, passed_key)):
                no_module += 1  # `i3d_model = None` at module level, built lazily by a helper: no module yet
                continue
            if exact and passed_key not in caller_state and not (caller == _ENTRY and root == "self"
                                                                 and isinstance(caller_node, cst.FunctionDef)):
                return facts
            if node is not None and _put_in_eval_as_self_part(self.analysis.model, func, caller_node, passed_key, node):
                continue  # (`self.validate(self.model)` whose body calls `self.model.eval()` first: the same module)
            if isinstance(caller_node, cst.FunctionDef) and caller_node is not func:
                caller = self._resolve(caller_node, passed_key, caller, following, exact, first, evaluating=evaluating)
            if any(f.mode == TRAIN for f in caller):
                training = True  # a caller that shows training mode: a bad path others do not cancel
                out |= caller
                by_caller[id(caller_node)] = by_caller.get(id(caller_node), frozenset(own)) | caller
        if no_module == len(passed) and out:  # (with any calls that leave it at `None`)
            return frozenset(out)  # (its entry value is None on every path: what it holds is what it builds)
        shown = next((one for one in by_caller.values() if self.analysis.kinds.shown_train(one)), None)
        if shown is not None and not self.analysis.kinds.shown_train(frozenset(out)):
            return shown  # (one caller shows it in training mode on all its paths; another's eval does not cancel it)
        return frozenset(out) if training else facts  # (no caller shows it: stay with "entry")

    def args_key(self, func: cst.FunctionDef) -> str | None:
        return calls_key(self.analysis.model, func)

    def _held_at_rest(self, func: cst.FunctionDef, attr: str) -> bool:
        """Whether ``self.attr`` is, whenever method ``func`` runs, in the mode ``__init__`` leaves it in: the
        class (not an nn.Module, whose parts follow its own mode) builds it in ``__init__``, assigns it
        nowhere else, and no code of the file changes its mode, passes it on or calls ``func`` on ``self`` where
        the flow follows that call (a request handler of a server class, a ``predict`` of a predictor class)."""
        key = (func, attr)
        if key not in self.analysis._at_rest_held:
            self.analysis._at_rest_held[key] = self._held_in_init_only(func, attr)
        return self.analysis._at_rest_held[key]

    def _held_in_init_only(self, func: cst.FunctionDef, attr: str) -> bool:
        holder = self._holder_class(func, attr)
        if holder is None:
            return False
        summary = holder[2].summary(holder[1])
        if summary is None or f"self.{attr}" not in summary.effects:
            return False
        return self._mode_kept(func, attr, holder[1], train_too=False)

    def _trained_in_class(self, func: cst.FunctionDef, attr: str) -> dict | None:
        """``{"self.attr": facts}`` when another method of ``func``'s class trains ``self.attr`` (given in
        ``__init__``: `self.actor = actor`) or leaves it in training mode, and no code of the file puts it in
        eval: whenever ``func`` runs after that method, the module is in training mode (an agent's ``act``
        beside its ``learn``)."""
        if (func, attr) not in self.analysis._trained_held:
            self.analysis._trained_held[(func, attr)] = self._trained_by_sibling(func, attr)
        return self.analysis._trained_held[(func, attr)]

    def _trained_by_sibling(self, func: cst.FunctionDef, attr: str) -> dict | None:
        holder = self._holder_class(func, attr)
        if holder is None or not self._mode_kept(func, attr, holder[1], train_too=True) \
                or run_by_inherited(self.analysis.model, holder[0], func):
            return None  # (a template method's hook: the base runs it after setting the mode it wants)
        info, init, owner = holder
        home = owner.model  # (the file of the `__init__` that assigns it: this one, or a base's)
        value, where = home.enclosing_class(home.scopes[init].parent).attributes[attr][0]
        kind = model_kind(home, value, where)
        built = value.func.value if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) else ""
        if kind == ModelKind.NO or (built in home.classes and not home.is_nn_module_class(home.classes[built])):
            return None  # (a helper object of the class, `self._redirect = _ForwardRedirection()`)
        key = f"self.{attr}"
        facts: frozenset = frozenset()
        for name, method in info.methods.items():
            summary = self.analysis.summary(method) if method is not func and name != "__init__" else None
            if summary is None:
                continue
            for fact in summary.effects.get(key, ()):
                if fact.mode == TRAIN and fact.why in ("trained", "train()"):  # (its step, or its `.train()`)
                    verb = "trained" if fact.why == "trained" else "put in training mode"
                    facts |= {replace(fact, where=f"{verb} by `{name}()` at line {{line}}", kind=fact.kind or kind)}
        return {key: facts} if facts else None

    def _holder_class(self, func: cst.FunctionDef, attr: str) -> "tuple[ClassInfo, cst.FunctionDef, Any] | None":
        """``func``'s class when it is a plain class (not a model, whose parts follow its own mode) that
        assigns ``self.attr`` once, in ``__init__`` (its own, or a base's of this file that its own runs
        through ``super().__init__``), with that ``__init__``."""
        model = self.analysis.model
        info = model.class_of_method(func)
        if info is None or info.methods.get(func.name.value) is not func \
                or (info.methods.get("__init__") or inherited_definition(model, info, "__init__")) is None \
                or model.is_nn_module_class(info) or self.analysis.evaluation.framework_class(info) or module_forward(info) \
                or any(model_base(model, base) for base in info.bases):
            return None  # (a model class of another library, `PreTrainedModel`: its parts follow its mode)
        found = _assigning_init(model, info, attr)
        if found is None:
            return None
        return info, found[1], self.analysis if found[0] is model else found[0].analysis(type(self.analysis))

    def _mode_kept(self, func: cst.FunctionDef, attr: str, init: cst.FunctionDef, train_too: bool) -> bool:
        """Whether no code of the file outside ``init`` sets ``.attr``'s mode (but to training, if
        ``train_too``) or gives it to code that may, and ``func`` runs only from outside the class."""
        model = self.analysis.model
        for site in model.calls:
            call = site.node
            if isinstance(call.func, cst.Attribute):
                receiver = model.code(call.func.value)
                sets = receiver.endswith(f".{attr}") and call.func.attr.value in _MODE_SETTERS \
                    and self.analysis.enclosing_function(call) is not init
                if sets and train_too and call.func.attr.value == "train" and (
                        not call.args or model.code(call.args[0].value) == "True"):
                    sets = False  # (`self.actor.train()` before its step)
                if (receiver == "self" and call.func.attr.value == func.name.value and func in self.analysis.method_calls) \
                        or sets:
                    return False
            given = [index for index, arg in enumerate(call.args) if model.code(arg.value).endswith(f".{attr}")]
            if given and self.analysis.enclosing_function(call) is not init and not self._keeps_modes(call, given):
                return False  # (given to code that may set its mode)
        return True

    def _keeps_modes(self, call: cst.Call, given: list[int]) -> bool:
        """Whether ``call`` runs a function of this file that changes no mode of what its arguments at
        ``given`` are (runs them, at most: ``features(self.inception, x)``), or exports it
        (``torch.onnx.export(self.model, ...)``)."""
        qn = self.analysis.model.qualname(call.func)
        if qn in _EXPORTS or keeps_given_modes(qn, call.func):
            return True  # (`str(self.model)`, `torch.save(self.model, path)`)
        target = self.analysis.callees.callee(call, other_files=False)
        summary = target[0].summary(target[1]) if target is not None else None
        return summary is not None and _leaves_modes_of(summary, call, given)

    def _at_rest(self, func: cst.FunctionDef, name: str) -> bool:
        """Whether module-level ``name`` is in the mode module-level code leaves it in whenever ``func``
        runs: ``func`` is called nowhere in this file (a web handler, a callback: it runs after the
        module's code), and no other function changes ``name``'s mode or reassigns it."""
        model = self.analysis.model
        if self.analysis.evaluation.is_test_file() or func.name.value.startswith("test") or self.analysis.module_state() is None:
            return False
        summary = self.analysis.summary(func)
        if summary is None or name not in summary.globals or len(model.module_scope.bindings.get(name, ())) != 1:
            return False
        if any(_called_name(site.node.func) == func.name.value for site in model.calls):
            return False
        for site in model.calls:
            if not _in_function(site.scope) or self.analysis.enclosing_function(site.node) is func:
                continue
            call = site.node
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in _MODE_SETTERS:
                receiver = receiver_key(call.func.value)
                if receiver is not None and key_root(receiver) == name:
                    return False
            for arg in call.args:
                key = key_of(arg.value)
                if key is not None and key_root(key) == name and model.qualname(call.func) not in _SAFE_CALLEES:
                    return False
        for attribute, _value, scope in model.attribute_assignments:
            key = key_of(attribute)
            if _in_function(scope) and key is not None and key_root(key) == name:
                return False
        return not any(name in _declared_global(node.body) for node in model.scopes
                       if isinstance(node, cst.FunctionDef))


def resolved_in(analysis, scope_node: cst.CSTNode, key: str, facts: frozenset) -> frozenset:
    """``facts`` of ``key`` in the function ``scope_node`` (the module otherwise), with ``entry`` replaced by what its
    callers pass in (``EntryResolution.resolved``, for a place that is no call site: a freeze's watch)."""
    func = scope_node if isinstance(scope_node, cst.FunctionDef) else None
    return analysis.entry._resolve(func, key, facts, frozenset())


def _put_in_eval_as_self_part(model: "FileModel", func: cst.FunctionDef | None, caller: cst.CSTNode, passed: str,
                              node: cst.CSTNode) -> bool:
    """Whether a method of the class is given ``self.<part>`` by another method of it, and puts that part in eval
    itself (``self.model.eval()``) in a statement that dominates ``node``: the parameter is that part, in eval."""
    if func is None or not passed.startswith("self.") or not isinstance(caller, cst.FunctionDef):
        return False
    info = model.class_of_method(func)
    return info is not None and model.class_of_method(caller) is info and last_mode_call(model, node, passed) == EVAL


def calls_key(model: "FileModel", func: cst.FunctionDef) -> str | None:
    """What ``call_args`` files the calls of ``func`` under: its name for a module-level function of this
    file, ``Class.method`` for a method of one of its classes, ``name@place`` for a function nested in
    another (its calls there give it the enclosing function's variables it reads); None for others."""
    if model.functions.get(func.name.value) is func:
        return func.name.value
    scope = model.scopes.get(func)
    if scope is not None and scope.parent is not None and scope.parent.kind == "function" \
            and scope.parent.functions.get(func.name.value) is func:
        return f"{func.name.value}@{model.order(func)}"
    info = model.class_of_method(func)
    return f"{info.name}.{func.name.value}" if info is not None and info.methods.get(func.name.value) is func else None


def _mode_set_anywhere(model: "FileModel", name: str) -> bool:
    """Whether code of the file calls ``name.eval()`` / ``name.train(...)`` (or another mode setter)."""
    return any(isinstance(site.node.func, cst.Attribute) and site.node.func.attr.value in _MODE_SETTERS
               and isinstance(site.node.func.value, cst.Name) and site.node.func.value.value == name
               for site in model.calls)


def _none_at_module(model: "FileModel", key: str) -> bool:
    """Whether module-level ``key`` (a plain name) is bound only to ``None`` by module-level code."""
    bound = model.module_scope.bindings.get(key) if "." not in key else None
    return bool(bound) and all(isinstance(value, cst.Name) and value.value == "None" for value in bound)


def _function_attribute(model: "FileModel", key: str) -> bool:
    """Whether ``key`` is an attribute of a module-level function of this file (``infer.model``, a lazy cache on
    the function object: ``if not hasattr(infer, "model"): infer.model = Crepe()``) that no module-level code sets:
    unset until a call of the function assigns it."""
    root, _, attr = key.partition(".")
    if not attr or "." in attr or root not in model.functions or model.module_scope.bindings.get(root):
        return False
    return not any(key_of(attribute) == key and scope.kind == "module"
                   for attribute, _value, scope in model.attribute_assignments)


def _leaves_modes_of(summary, call: cst.Call, given: list[int]) -> bool:
    """Whether a callee with this summary leaves the modes of its arguments at ``given`` as they are."""
    if summary.generator or any(a.keyword or a.star for a in call.args[:max(given) + 1]):
        return False  # (positions known only up to a keyword or a star)
    params = summary.params[1:] if summary.params[:1] == ["self"] and isinstance(call.func, cst.Attribute) \
        else summary.params
    if any(i >= len(params) for i in given):
        return False
    roots = {params[i] for i in given}
    touched = [*summary.effects, *summary.trains, *summary.steps, *summary.bn_evals,
               *(key for _, key in summary.freezes), *summary.element_modes]
    return not any(key_root(key) in roots for key in touched)


def _init_effects(analysis, info: "ClassInfo", init: cst.FunctionDef, owner: Any) -> dict:
    """What ``init`` (the ``__init__`` ``_holder_class`` found) leaves ``self``'s parts in. One of a base class
    of another file speaks of ``analysis``'s class instead: its first base, built or put in a mode by that
    ``__init__`` (in its file)."""
    effects = owner.summary(init).effects
    if owner is analysis:
        return effects
    base = info.node.bases[0].value if info.node.bases else info.node.name
    where = f"`{analysis.model.code(base)}.__init__()` (the base class at line {{line}}, in {os.path.basename(owner.model.path)})"
    out: dict = {}
    for key, facts in effects.items():
        out[key] = frozenset(
            Fact(TRAIN, base, "helper", f"{where} builds it (modules start in training mode)", fact.kind)
            if fact.mode == TRAIN and fact.why == "built" else
            Fact(fact.mode, base, "helper", f"{where} {'calls `.eval()`' if fact.mode == EVAL else 'calls `.train()`'}",
                 fact.kind) if fact.mode in (TRAIN, EVAL) else Fact(UNKNOWN_MODE) for fact in facts)
    return out


def _assigning_init(model, info: "ClassInfo", attr: str,
                    following: frozenset = frozenset()) -> "tuple[FileModel, cst.FunctionDef] | None":
    """The ``__init__`` that assigns ``self.attr`` once, as the only assignment of it in the class, with the
    model of its file: the class's own, or (when the class assigns it nowhere and its ``__init__`` calls
    ``super().__init__``) its base's, however many levels up (each once), in this file or another project file (a
    ``SegTrainer`` whose ``BaseTrainer`` builds ``self.model``)."""
    values = info.attributes.get(attr, [])
    init = info.methods.get("__init__")
    if values:
        return (model, init) if len(values) == 1 and init is not None and values[0][1].node is init else None
    following = entered(following, id(info.node))
    if following is None or init is not None and not any(
            isinstance(call.func, cst.Attribute) and call.func.attr.value == "__init__" and super_call(call.func.value)
            for call in model.nodes_of(init, cst.Call)):
        return None  # (a class with no `__init__` of its own runs its base's)
    found = inherited_definition(model, info, "__init__")  # (what `super().__init__` runs)
    return _assigning_init(found[0], found[1], attr, following) if found is not None else None


def parameter_alias(model: "FileModel", func: cst.FunctionDef, name: str) -> str | None:
    """The parameter of ``func`` a local name stands for, when the function binds it once, to that
    parameter (``s = net``), moved (``net.to(device)``) or wrapped in its mode (``torch.jit.script(net)``,
    ``DDP(net)``), and never rebinds the parameter; or the attribute of ``self`` it stands for in a method
    (``model = self.model``, as ``self.model`` enters: ``self.model`` is the key returned); None otherwise."""
    scope = model.scopes.get(func)
    if scope is None or name in scope.params:
        return None
    if name in scope.bindings:
        bound = scope.bindings[name]
        value = _unwrap_passthrough(bound[0]) if len(bound) == 1 else None
        value = got_from_self(model, func, value, None) or value
    else:  # `model, inputs = self.get_module()`: the element of what the method returns
        unpacked = model.unpacked(name, scope)
        value = got_from_self(model, func, unpacked[0], unpacked[1]) if unpacked is not None \
            and unpacked[2] is scope else None
    if isinstance(value, cst.Call) and model.qualname(value.func) in _WRAPPERS and value.args \
            and value.args[0].keyword is None and not value.args[0].star:
        value = _unwrap_passthrough(value.args[0].value)
    if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and value.value.value == "self" \
            and "self" in scope.params and not scope.bindings.get("self"):
        # `model = self.model` in a method: `self.model` as the method enters, when the method never assigns it
        attribute = key_of(value)
        if attribute is not None and not any(key_of(target.target) == attribute
                                             for target in model.nodes_of(func, cst.AssignTarget)):
            return attribute
        return None
    if not isinstance(value, cst.Name) or value.value not in scope.params or scope.bindings.get(value.value):
        return None
    return value.value


def closure_variables(model: "FileModel", func: cst.FunctionDef, scope: "Scope") -> tuple[str, ...]:
    """The enclosing functions' variables a nested function reads (and does not bind itself), and the
    module-level ones no enclosing function shadows (a route defined in an app factory reading the global
    model)."""
    local = (scope.params.keys() | scope.bindings.keys() | scope.opaque) - _declared_global(func.body)
    found = []
    for name in dict.fromkeys(_names_read(func.body)):
        if name in local:
            continue
        outer = scope.parent
        while outer is not None and outer.kind == "function" \
                and not (name in outer.params or name in outer.bindings or name in outer.opaque):
            outer = outer.parent
        if outer is not None and outer.kind == "function":
            found.append(name)
        elif outer is not None and outer.kind == "module" and name not in model.classes \
                and name not in model.functions and (name in outer.bindings or name in outer.opaque):
            found.append(name)
    return tuple(found)


def module_global_of_nested(model: "FileModel", func: cst.FunctionDef, name: str) -> bool:
    """Whether ``name``, read by the nested function ``func``, is a module-level variable (no enclosing
    function binds it)."""
    scope = model.scopes.get(func)
    if scope is None or scope.parent is None or scope.parent.kind != "function":
        return False
    outer = scope.parent
    while outer is not None and outer.kind == "function":
        if name in outer.params or name in outer.bindings or name in outer.opaque:
            return False
        outer = outer.parent
    return outer is not None and name in outer.bindings


def implicit_globals(analysis, func: cst.FunctionDef) -> tuple[str, ...]:
    """The module-level variables a top-level function reads, itself or through this file's functions it calls."""
    cache = analysis._globals
    if func in cache:
        return cache[func]
    cache[func] = ()  # (a recursive call sees what is known so far)
    model = analysis.model
    scope = model.scopes.get(func)
    if scope is not None and scope.parent is not None and scope.parent.kind == "function" \
            and scope.parent.functions.get(func.name.value) is func:
        cache[func] = closure_variables(model, func, scope)
        return cache[func]
    if scope is None or model.functions.get(func.name.value) is not func:
        return ()
    module = model.module_scope
    local = (scope.params.keys() | scope.bindings.keys() | scope.opaque) - _declared_global(func.body)
    found: list[str] = []
    callees: list[str] = []
    for name in _names_read(func.body):
        if name in local or name in found or name in callees:
            continue
        if name in model.functions:
            callees.append(name)
        elif (name in module.bindings or name in module.opaque) and name not in model.classes:
            found.append(name)
    for callee in callees:
        found += [name for name in implicit_globals(analysis, model.functions[callee])
                  if name not in local and name not in found]
    cache[func] = tuple(found)
    return cache[func]


def _answered_once(analysis, question: tuple | None, compute):
    """``compute()``, kept for ``question`` (None: not kept) unless a question met again on its way cut it short."""
    memo = analysis.__dict__.setdefault("_resolve_memo", {})
    if question is not None and question in memo:
        return memo[question]
    outer_cut = analysis.__dict__.get("_resolve_cut", False)
    analysis.__dict__["_resolve_cut"] = False
    answer = compute()
    if question is not None and not analysis.__dict__["_resolve_cut"]:
        memo[question] = answer
    analysis.__dict__["_resolve_cut"] = outer_cut or analysis.__dict__["_resolve_cut"]
    return answer


def _passed(analysis, where: str, first: bool, evaluating: bool = False) -> list | None:
    """What the calls filed under ``where`` pass: at every pass, or (``first``) on their loops' first iteration;
    ``evaluating``, only the calls whose result no backward pass trains on."""
    if evaluating:
        trained = {call for call, _ in analysis.call_sites.get(where, ()) if result_trained(analysis, call)}
        if trained:
            if first:
                return [one for call, one in analysis.first_call_args.get(where, {}).items() if call not in trained] or None
            return [one for call, one in analysis.call_sites.get(where, ()) if call not in trained] or None
    if first:
        return list(analysis.first_call_args.get(where, {}).values()) or None
    return analysis.call_args.get(where)
