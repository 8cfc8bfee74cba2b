"""The flow's calls of project functions: binding arguments and applying the callee's summary."""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind
from bn_lint.semantic.file.classes import stored_on_self, super_call
from bn_lint.semantic.knowledge.module_names import named_as_module
from bn_lint.semantic.nn_modules.bearing import ModelKind, model_kind
from .eval_names import eval_named
from .built_classes import built_class, plain
from .dominating import last_mode_call
from .getters import got_from_receiver
from .held_instances import held_aliases, stored_as
from .fixed_runs import watch_fixed_run
from .keys import _getattr_of, key_of
from .list_entries import given_items
from .records import HelperEval, Summary, _merge, record_passed
from .synthetic_runs import feeds_later_step, synthetic_run
from .state import ENTRY, EVAL, Fact, State, TRAIN, UNKNOWN_MODE, _MIXED, _UNKNOWN, _child_of, _lookup, _set, _tracked
from .trained import TRAINED, after_training_step

if TYPE_CHECKING:  # pragma: no cover
    from .flow import _Flow
    from .analysis import ModeAnalysis


def _short(path: str) -> str:
    return os.path.basename(path)


_BUILDS = "builds it (modules start in training mode)"  # what a helper that builds the model does

class FlowHelperCalls:
    """A part of the walk of one function (``flow.helper_calls``): calls of project functions, through their summaries."""

    def __init__(self, flow: "_Flow") -> None:
        self.flow = flow

    def bind_args(self, call: cst.Call, summary: Summary) -> list[tuple[str, cst.BaseExpression]]:
        bound = self._bound_args(call, summary)
        if not self.flow.part_names:
            return bound
        named = []
        for param, arg in bound:  # `getattr(model, name)` in a loop over literal names: `model.conv1` in turn
            owner = _getattr_of(arg, *self.flow.part_names) if isinstance(arg, cst.Call) else None
            if owner is not None:
                variable = arg.args[1].value.value  # type: ignore[attr-defined]
                arg = cst.Attribute(value=arg.args[0].value, attr=cst.Name(self.flow.part_names[variable]))
            named.append((param, arg))
        return named

    def _bound_args(self, call: cst.Call, summary: Summary) -> list[tuple[str, cst.BaseExpression]]:
        params = list(summary.params)
        bound = []
        func = call.func
        if isinstance(func, cst.Attribute) and key_of(func.value) is not None and params and params[0] == "self":
            bound.append(("self", func.value))  # `self.method()`, `model.method()`, `self.ema.update()`
            params = params[1:]
        elif isinstance(func, cst.Attribute) and super_call(func.value) and params and params[0] == "self":
            bound.append(("self", cst.Name("self")))  # `super().__init__(config)`: the base's method on `self`
            params = params[1:]
        given = bind(call, params, self.flow.model, self.flow.scope).values
        # (`probe(ssl_model.get_encoder())`: a getter's attribute of its receiver, `ssl_model.encoder`)
        bound += [(param, got_from_receiver(self.flow.a, given[param]) or given[param]) for param in params if param in given]
        if summary.closure is not None:
            if self.flow.scope is summary.closure:  # called from the function that holds its variables
                bound += [(name, cst.Name(name)) for name in summary.globals]
            else:  # `step = make_step(model, opt); step(x)`: its variables are what the factory was given
                bound += self._factory_given(call, summary)
        elif summary.globals and summary.path == self.flow.model.path:
            scope = self.flow.scope
            for name in summary.globals:
                if isinstance(self.flow.node, cst.Module) or not (
                        name in scope.params or name in scope.bindings or name in scope.opaque):
                    bound.append((name, cst.Name(name)))  # the caller's variable is the callee's global
        return bound

    def closure_passes(self, call: cst.Call, state: State) -> bool:
        """Whether ``call`` runs a closure whose variables hold a followed module: a function nested in this
        one (``def step(x): model(x)...``), or one a factory returned here (``step = make_step(model, opt)``)."""
        func = call.func
        if not isinstance(func, cst.Name) or _tracked(state, func.value):
            return False
        nested = self.flow.model.local_function(func.value, self.flow.scope)
        if nested is None and self.flow.a.callees.closure_factory_call(call) is None:
            return False
        target = self.flow.a.callees.callee(call)
        summary = target[0].summary(target[1]) if target is not None else None
        if summary is None or summary.closure is None:
            return False
        given = {id(arg.value) for arg in call.args}
        return any(id(arg) not in given and (key := key_of(arg)) is not None and _tracked(state, key)
                   for _, arg in self.bind_args(call, summary))

    def _factory_given(self, call: cst.Call, summary: Summary) -> list[tuple[str, cst.BaseExpression]]:
        """(variable, argument) for the variables of the closure ``call`` runs that are parameters of the
        factory that made it, in this function (``step = make_step(model, opt)``): the arguments given there."""
        made = self.flow.a.callees.closure_factory_call(call)
        factory = summary.closure.node if summary.closure is not None else None
        if made is None or not isinstance(factory, cst.FunctionDef):
            return []
        target = self.flow.a.callees.callee(made)
        if target is None or target[1] is not factory:
            return []
        params = factory.params
        names = [p.name.value for p in [*params.posonly_params, *params.params, *params.kwonly_params]]
        given = bind(made, names, self.flow.model, self.flow.scope).values
        return [(name, given[name]) for name in summary.globals if name in given]
    def _synthetic_run_trains(self, call: cst.Call) -> bool:
        """Whether a helper's run of a model on synthetic input at ``call`` is part of training: in a loop that
        trains (a later pass's step follows it), or its result read by a training step after it in the function
        (``reg = penalty(model, torch.randn(...))`` ... ``(loss + reg).backward()``). A FLOP count or a trace
        before the training that its function may start later is not."""
        region = self.flow.a.region(call)
        if not self.flow.uses.trains_here(region):
            return False
        if isinstance(region, (cst.For, cst.While)):
            return True
        return feeds_later_step(self.flow.model, call, region, self.flow.a.steps.training_calls(region, direct=True))

    def apply_summary(self, call: cst.Call, target: tuple[ModeAnalysis, cst.FunctionDef], state: State) -> None:
        analysis, func = target
        summary = analysis.given.given_summary(func, call)  # (as this call runs it: its literal arguments decide tests)
        if summary is None and func in analysis._in_progress:
            # a function calling itself (on a module's children, `apply_hooks(child, model, ...)`): the recursive
            # call does what the rest of its body does, which that body's own flow already says; taken as
            # leaving its arguments as they are (the start of the fixpoint), not as code out of sight
            return
        bound = self.forget_unbound(call, summary, state)
        if summary is None:
            return
        _shared_step_run(self.flow, call, bound, summary, analysis.summary(func), state)
        for param, arg in [*bound, *_items_given(self.flow, bound, call)]:  # (its runs under this call's no_grad: ``_apply_effects``)
            key = key_of(arg)
            if key is None:
                continue
            if analysis is not self.flow.a:  # (`extractor.extract(x)`, `show_images(trainer)`: parts they run)
                _parts_evaluated(self.flow, call, key, analysis, summary, state, param)
                _method_parts_evaluated(self.flow, call, key, param, analysis, summary, state)
            if analysis is not self.flow.a and _tracked(state, key):
                # (a function of this file is followed through its callers instead: ``resolved``)
                used = analysis.evaluations(summary).get(param)
                if used is not None and not _evaluated_with_its_owner(bound, param, key, analysis, used[0]):
                    old = self.flow.a.helper_evals.get((call, param))
                    site = _merge(old.site if old else None, key, _lookup(state, key), call, self.flow)
                    self.flow.a.helper_evals[(call, param)] = HelperEval(
                        site, summary.evaluated_in.get(param, analysis), summary, *used)
                if synthetic_run(analysis, summary, param, dict(bound), call, self.flow.model) is not None \
                        and not self._synthetic_run_trains(call):
                    self.flow.a.synthetic_runs[call] = key  # (a tracer's forward on `torch.ones(...)`: see inference_runs)
                    self.flow.uses.use(call, key, state)
                exported = next((export for export, name in summary.entry_exports if name == param), None)
                if exported is not None:
                    old = self.flow.a.helper_exports.get((call, param))
                    site = _merge(old.site if old else None, key, _lookup(state, key), call, self.flow)
                    self.flow.a.helper_exports[(call, param)] = HelperEval(site, analysis, summary, exported, "exports it")
            if analysis is self.flow.a and param != "self" and self.flow.a.entry.args_key(func) is not None:
                record_passed(self.flow, f"{self.flow.a.entry.args_key(func)}.{param}", call, key, state)
            if analysis is self.flow.a and param == "self":
                _record_method_call(self.flow, func, key, state, call)
            for evaled in summary.bn_evals:  # a helper that puts BatchNorm layers in eval: watch them like `.eval()`
                root, _, rest = evaled.partition(".")
                target_key = f"{key}.{rest}" if rest else key
                if root == param and _tracked(state, target_key):
                    self.flow.watch[call] = (target_key, "eval")
        if analysis is self.flow.a and self.flow.a.entry.args_key(func) is not None:  # (`model=None` left so: no module there)
            for param in _none_defaults(func) - {param for param, _ in bound}:
                self.flow.a.none_args.setdefault(f"{self.flow.a.entry.args_key(func)}.{param}", set()).add(call)
        self.flow.applied_freezes.apply_freezes(call, target, summary, bound, state)  # (`if feature_extract:` decided by the call)
        self._watch_helper_steps(call, bound, summary, analysis, state)
        self.flow.given_callables.run_given_callables(call, bound, summary, target, state)  # (`on_epoch_end=lambda e: ...`)
        effects = summary.effects
        if call in self.flow.entering and summary.generator:
            # `with helper(model):` of a generator context manager: the body runs at its `yield`
            effects = summary.at_yield
            self.flow.leaving.append((call, target, dict(state)))
        # (a helper wrapped by a decorator that sets the mode around it, `@eval_mode`: its runs are not as given)
        self.apply_effects(call, bound, effects, summary, analysis, state, runs_given=not analysis.evaluation.mode_decorated(func))
        self._items_set(bound, summary, state, call, target)

    def local_init(self, call: cst.Call) -> cst.FunctionDef | None:
        """The ``__init__`` of the class of this file that ``call`` builds (``ModelEma(model)``)."""
        func = call.func
        info = self.flow.model.classes.get(func.value) if isinstance(func, cst.Name) else None
        if info is None or self.flow.model.binding(func.value, self.flow.scope) is not None:
            return None
        return info.methods.get("__init__")

    def construct(self, call: cst.Call, found: tuple[ModeAnalysis, cst.FunctionDef], state: State) -> bool:
        """``ModelEma(model)``, ``Wrapper(self.model, cfg)``: a project class built from followed modules is its
        ``__init__`` run on a new ``self``; what that summary leaves its parameters at is what the call leaves
        the arguments at (``self.ema = deepcopy(unwrap(model)); self.ema.eval()`` leaves ``model`` as it is).
        False where the summary is not worked out, or where ``__init__`` trains or freezes what it is given."""
        analysis, init = found
        summary = analysis.summary(init)
        if summary is None or any(a.star == "*" for a in call.args):
            return False  # (a `**kwargs` bundle: the arguments before it bind as written)
        params = [p for p in summary.params if p != "self"]
        given = bind(call, params, self.flow.model, self.flow.scope).values
        bound = [(param, given[param]) for param in params if param in given]
        names = {param for param, _ in bound}
        if any(p.partition(".")[0] in names for p in summary.trains) \
                or any(frozen.partition(".")[0] in names for _, frozen in summary.freezes):
            return False
        kept = {id(arg) for _, arg in bound}
        for arg in call.args:  # (an argument no parameter takes: passed on out of sight)
            key = key_of(arg.value)
            if id(arg.value) not in kept and key is not None and _tracked(state, key):
                _set(state, key, _UNKNOWN)
        self.apply_effects(call, bound, summary.effects, summary, analysis, state)
        _evaluated_by_init(self.flow, call, bound, summary, analysis, init, state)
        return True

    def forget_unbound(self, call: cst.Call, summary: Summary | None, state: State) -> list[tuple[str, cst.BaseExpression]]:
        """The arguments ``summary``'s parameters take; the followed modules passed otherwise (to ``*nets`` /
        ``**kwargs``, past a ``*args`` of the call, or to a function not worked out) become unknown."""
        bound = self.bind_args(call, summary) if summary is not None else []
        given = {id(arg) for _, arg in bound}
        for arg in call.args:
            key = key_of(arg.value)
            if (summary is None or id(arg.value) not in given) and key is not None and _tracked(state, key):
                _set(state, key, _UNKNOWN)
        return bound

    def _watch_helper_steps(self, call: cst.Call, bound, summary: Summary, analysis: ModeAnalysis, state: State) -> None:
        """A helper that trains a module it is given (``train_one_epoch(model, ...)``, which may call ``model.train()``
        first), or one its object holds (``_watch_part_steps``): the watched modules inside it, in their modes there."""
        for param, arg in bound:
            self.flow.uses.watch_part_steps(call, param, arg, summary, analysis, state)
            watch_fixed_run(self.flow, call, param, arg, summary, analysis, state)
            facts, key = summary.steps.get(param), key_of(arg)
            if facts is None or key is None or not _tracked(state, key):
                continue
            modes = {ENTRY if f.why == TRAINED else f.mode for f in facts}  # (trained on an earlier pass: as given)
            during = dict(state)
            if modes in ({TRAIN}, {EVAL}):
                _set(during, key, self.translate(facts, _lookup(state, key), call, summary, analysis))
            elif modes != {ENTRY}:
                continue
            self._items_set(bound, summary, during, call, None)
            self.flow.uses.watch_training(call, key, during)
            if key in self.flow.params:  # (a step two calls deep: `run_epoch(model)` runs `step(model)`, which steps)
                self.flow.stepped[key] = self.flow.stepped.get(key, frozenset()) | _lookup(during, key)

    def _items_set(self, bound, summary: Summary, state: State, call: cst.Call, target) -> None:
        """``train_epoch(model, frozen=(model.frontend,))`` where the helper sets a mode on each item of
        ``frozen``: those modules' modes are not followed (unknown) from there on, unless the helper sets
        one mode on every item at this call (``set_mode("eval", [encoder, decoder])`` with ``for m in
        models: if mode == "eval": m.eval()``). Their parent keeps its own facts, which its other parts
        (``model.encoder``) still follow."""
        for param, arg in bound:
            if param in summary.element_modes and isinstance(arg, (cst.Tuple, cst.List)):
                modes = {mode for node, p, mode in summary.element_sets
                         if p == param and self.flow.applied_freezes.tests_hold(node, summary, bound, target)}
                verb = f"`.{'eval' if modes == {EVAL} else 'train'}()`"
                facts = frozenset({Fact(modes.pop(), call, "helper", f"`{summary.name}()` at line {{line}} calls {verb}")}) \
                    if len(modes) == 1 and target is not None else _UNKNOWN
                for element in arg.elements:
                    key = key_of(element.value)
                    if key is not None and _tracked(state, key):
                        for other in [k for k in state if _child_of(k, key)]:
                            state[other] = facts
                        state[key] = facts

    def apply_effects(self, call: cst.Call, bound, effects: dict[str, frozenset], summary: Summary,
                       analysis: ModeAnalysis, state: State, before: State | None = None, runs_given: bool = True) -> None:
        """Set what ``call`` leaves its arguments at; ``before``: the state its ``entry`` stands for."""
        before = dict(state) if before is None else before
        for param, arg in bound:
            key = key_of(arg)
            if key is None:
                continue
            no_grad = self.flow.a.steps.under_no_grad(call)
            steps = summary.steps or summary.trains
            in_step = not steps and self.flow.uses.trains_here(self.flow.a.region(call))
            # (a helper that takes no step, called outside a training step: the modules it runs as given are run
            # by this call, an evaluation where the call is one: `loss = self.get_loss(batch)` over `val_loader`)
            evaluated = runs_given and not no_grad and not steps and not self.flow.uses.trains_here(self.flow.a.region(call))
            if no_grad or in_step or evaluated:
                # `features(net, x)`, `self.features(x)` under no_grad: the helper runs `net`, `self.inception`
                # in the mode this call gives it; so does a forward-only `self.batch_forward(x)` in a training step
                for used in dict.fromkeys(p for use, p in summary.entry_uses if (p == param or _child_of(p, param))
                                          and analysis.evaluation.eval_reason(use) is None  # (else reported in the helper)
                                          and (no_grad and _runs_itself(use, p) or evaluated and _run_as_given(analysis, use)
                                               or _forward_for_step(analysis, use, p))):
                    # (in the helper's source order: which module a call's use stands for never depends on
                    # the order of a set)
                    target_key = key + used[len(param):]
                    if _tracked(state, target_key) and (not evaluated or no_grad or _module_like(self.flow, target_key, state)):
                        self.flow.uses.use(call, target_key, state)
            for effect_key, facts in sorted(effects.items(), key=lambda kv: kv[0].count(".")):
                root, _, rest = effect_key.partition(".")
                if root != param or (_MIXED in facts and all(f.mode == ENTRY or f == _MIXED for f in facts)):
                    continue  # (mixed because some parts changed: their own effects say how)
                target_key = f"{key}.{rest}" if rest else key
                if not _tracked(state, target_key) and not _tracked(state, key):
                    if param != "self" and param not in summary.globals:
                        continue  # (but a global the helper sets, `global model; model = Seg()`, is what it set)
                caller_facts = _lookup(before, target_key)
                translated = self.translate(facts, caller_facts, call, summary, analysis)
                self.flow.assignments.set_mode(state, target_key, translated)
                if "." in target_key and translated and {f.mode for f in translated} == {EVAL} \
                        and not _held_whole(self.flow, target_key):
                    self.flow.watch[call] = (target_key, "eval")  # `freeze_bn(model)` puts `model.backbone` in eval

    def translate(self, facts: frozenset, caller: frozenset, call: cst.Call, summary: Summary, analysis) -> frozenset:
        out: set[Fact] = set()
        where_file = "" if analysis is self.flow.a else f" (in {_short(summary.path)})"
        for fact in facts:
            if fact.mode == ENTRY:
                out |= caller
            elif fact.why == "trained":  # trained there: the caller's model, in training mode if it was the entry one
                out |= after_training_step(caller, call, summary.name)
            elif fact.mode == EVAL:
                out.add(Fact(EVAL, call, "helper", f"`{summary.name}()` at line {{line}} calls `.eval()`{where_file}"))
            elif fact.mode == TRAIN:
                built = fact.why == "built" or fact.why == "helper" and _BUILDS in fact.where  # (a helper's helper)
                does = _BUILDS if built else "calls `.train()`"
                out.add(Fact(TRAIN, call, "helper", f"`{summary.name}()` at line {{line}} {does}{where_file}", fact.kind))
            elif fact.why == "loaded":  # (another object loaded in its place, `torch.jit.load`: a path of its own)
                out.add(Fact(UNKNOWN_MODE, call, "loaded", "", fact.kind))
            else:
                out.add(Fact(UNKNOWN_MODE))
        return frozenset(out)


def _held_whole(flow, key: str) -> bool:
    """``self.model`` in a method of a class that is not a module (a trainer): a whole model it holds, not a
    part of one (putting it in eval is no freeze of its BatchNorm)."""
    root, _, rest = key.partition(".")
    if root != "self" or "." in rest:
        return False
    info = flow.model.enclosing_class(flow.scope)
    return info is not None and not flow.model.is_nn_module_class(info)


def _forward_for_step(analysis: ModeAnalysis, use: cst.Call, key: str) -> bool:
    """``self.loss = self.net(x)`` in a method the training step calls on ``self``: a forward of the module itself
    (not a method of it that may set its own mode, ``model.predict(x)``), with gradients on, in a method not named
    for evaluation and that names no mode switch (``set_mode = model.train if training else model.eval``)."""
    around = analysis.enclosing_function(use)
    return key.startswith("self.") and key_of(use.func) == key and not analysis.steps.under_no_grad(use) \
        and around is not None and not eval_named(around.name.value) \
        and not _NAMES_MODE.search(analysis.model.code(around))


_NAMES_MODE = re.compile(r"\.(?:eval|train)\b|set_grad_enabled")
_SETS_MODE = re.compile(r"\.\s*(?:eval|train)\s*\(|set_grad_enabled")  # (not `self.opts.train.lambdas`)


def _runs_itself(use: cst.Call, key: str) -> bool:
    """``self.inception(x)``, ``net.features(x)``: the helper runs the module itself at ``use``, not through a helper
    of its own (under ``no_grad`` that one's call, nearer the module, is where the evaluation is reported)."""
    called = key_of(use.func)
    return called is not None and (called == key or _child_of(called, key) or _child_of(key, called))


def _module_like(flow, key: str, state: State) -> bool:
    """``self.G`` built as a module (here, or by what its class assigns it: ``self.G = get_gen(opts)``), or named
    as one (``self.model``): not a callable attribute the helper calls (``self._get_target_cb(batch)``,
    ``self.update_info(...)``), which its caller's call does not run as a network."""
    if named_as_module(key) or any(f.kind in (ModelKind.BN, ModelKind.MAYBE) or f.why in ("built", "train()", "eval()")
                                   for f in _lookup(state, key)):  # (or one the code sets the mode of: a module)
        return True
    root, _, rest = key.partition(".")
    info = flow.model.enclosing_class(flow.scope) if root == "self" and rest else None
    values = info.attributes.get(re.split(r"[.\[]", rest)[0], []) if info is not None else []
    return any(model_kind(flow.model, value, where) in (ModelKind.BN, ModelKind.MAYBE) for value, where in values)


def _run_as_given(analysis: ModeAnalysis, use: cst.Call) -> bool:
    """``self.G(batch)`` in a helper (``get_loss``) that names no mode switch and no gradient switch: it runs the
    module in the mode its caller gives it (a helper that decides either reports its own evaluations)."""
    around = analysis.enclosing_function(use)
    return around is not None and not analysis.steps.under_no_grad(use) and not _SETS_MODE.search(analysis.model.code(around))


def _none_defaults(func: cst.FunctionDef) -> set[str]:
    """The parameters of ``func`` whose default is ``None``."""
    params = func.params
    return {p.name.value for p in [*params.params, *params.kwonly_params]
            if isinstance(p.default, cst.Name) and p.default.value == "None"}


def _parts_evaluated(flow, call: cst.Call, key: str, analysis: ModeAnalysis, summary: Summary, state: State,
                     param: str) -> None:
    """``extractor.extract(x)`` of another file's class whose method evaluates ``self.model`` as it finds it:
    ``extractor.model`` (stored from this file's argument) is run for evaluation there, in its mode here. So for
    a parameter (``show(trainer)`` evaluating ``trainer.generator``) whose object this file builds."""
    # (`self.mcts.search(x)` with `self.mcts = PVMCTS(model)` beside `self.model = model`: the class's own model)
    aliases = held_aliases(flow.a, flow.node) if param == "self" and isinstance(flow.node, cst.FunctionDef) else {}
    held = any(k == key or _child_of(k, key) for k in aliases)
    if param == "self" and not held and (call in flow.a.uses or not (_tracked(state, key)
                                                                     or any(_child_of(k, key) for k in state))):
        return  # (a call that is itself a run of the module, `model.get_predictions(x)`: reported here)
    if param != "self" and ("." in key or _tracked(state, key)):
        return
    for evaluated, used in analysis.evaluations(summary).items():
        if not _child_of(evaluated, param):
            continue
        target_key = key + evaluated[len(param):]
        stored = stored_as(aliases, target_key) if held else None
        if stored == "self":  # (`mcts = MCTS(self)`, whose search runs `model.predict(x)`: this class's `predict`)
            _own_method_run(flow, used[0], state, call)
            continue
        if stored is not None:
            target_key = stored  # (resolved as this function's own: ``entry``)
        elif not _tracked(state, target_key):
            target_key = held_part_key(flow, key, evaluated[len(param) + 1:])
        if target_key is not None and (stored is not None or _tracked(state, target_key)):
            old = flow.a.helper_evals.get((call, evaluated))
            site = _merge(old.site if old else None, target_key, _lookup(state, target_key), call, flow)
            flow.a.helper_evals[(call, evaluated)] = HelperEval(
                site, summary.evaluated_in.get(evaluated, analysis), summary, *used)


def _evaluated_with_its_owner(bound, param: str, key: str, analysis: ModeAnalysis, use: cst.CSTNode) -> bool:
    """``model_inference(model, img, model.final_activation)`` whose function puts ``model`` in eval before it runs
    the part it was given on its own (``softmax(x)``): that part, a child of ``model``, is in eval there too."""
    for other, arg in bound:
        owner = key_of(arg)
        if other != param and owner is not None and _child_of(key, owner) \
                and last_mode_call(analysis.model, use, other) == EVAL:
            return True
    return False


def _method_parts_evaluated(flow, call: cst.Call, key: str, param: str, analysis: ModeAnalysis, summary: Summary,
                            state: State) -> None:
    """``evaluate(wrapper, loader)`` of another file that evaluates its parameter through a method
    (``wrapper.forward(x)`` under ``no_grad``), given an instance of a plain project class built here: the parts of
    ``self`` that method runs (``self.model(x)``) are run for evaluation there, ``wrapper.model`` in its mode here."""
    used = analysis.evaluations(summary).get(param)
    node = used[0] if used is not None else None
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and key_of(node.func.value) == param
            and "." not in key):
        return
    bound = flow.model.binding(key, flow.scope)
    found = plain(built_class(flow.a, bound[0])) if bound is not None and isinstance(bound[0], cst.Call) else None
    method = found[1].methods.get(node.func.attr.value) if found is not None else None
    runs = found[0].summary(method) if method is not None else None
    for _use, run in dict.fromkeys(runs.entry_uses if runs is not None else ()):
        if not _child_of(run, "self") or not _tracked(state, key + run[len("self"):]):
            continue
        target, evaluated = key + run[len("self"):], param + run[len("self"):]
        old = flow.a.helper_evals.get((call, evaluated))
        site = _merge(old.site if old else None, target, _lookup(state, target), call, flow)
        flow.a.helper_evals[(call, evaluated)] = HelperEval(site, summary.evaluated_in.get(param, analysis), summary, *used)


def _evaluated_by_init(flow, call: cst.Call, bound, summary: Summary, analysis: ModeAnalysis,
                       init: cst.FunctionDef, state: State) -> None:
    """``Tree(board, model=net)`` whose ``__init__`` runs ``net`` (or ``self.model`` stored from it) for
    evaluation: a run of ``net`` at the construction, in its mode here."""
    stored = {attribute: param for attribute, param in stored_on_self(init)}
    given = dict(bound)
    for evaluated, used in analysis.evaluations(summary).items():
        root, _, rest = evaluated.partition(".")
        param = stored.get(rest.split(".")[0]) if root == "self" and rest else root
        arg = given.get(param) if param is not None else None
        key = key_of(arg) if arg is not None else None
        if key is None or not _tracked(state, key):
            continue
        if root == "self" and "." in rest:
            key = key + rest[rest.index("."):]  # (`self.model.backbone` of `self.model = model`)
        old = flow.a.helper_evals.get((call, evaluated))
        site = _merge(old.site if old else None, key, _lookup(state, key), call, flow)
        flow.a.helper_evals[(call, evaluated)] = HelperEval(
            site, summary.evaluated_in.get(evaluated, analysis), summary, *used)


def _record_method_call(flow, func: cst.FunctionDef, key: str, state: State, call: cst.Call) -> None:
    """A call of ``func``, a method of this file, on ``key``: ``self.f()`` in ``method_calls`` with its caller;
    ``trainer.predict(loader)`` there too, what the instance holds as ``self.*``; and a call on an instance a
    function holds (``mcts.search(x)``, ``self.mcts.search(x)``) in ``held_calls``, resolved through that function."""
    if key == "self":
        flow.a.method_calls.setdefault(func, []).append((dict(state), flow.node, call))
        return
    if "." not in key:
        flow.a.method_calls.setdefault(func, []).append(
            ({"self" + k[len(key):]: facts for k, facts in state.items() if k == key or _child_of(k, key)}, None, call))
    if isinstance(flow.node, cst.FunctionDef):
        flow.a.held_calls.setdefault(func, []).append((key, dict(state), flow.node, call))


def _own_method_run(flow, run: cst.CSTNode, state: State, call: cst.Call) -> None:
    """``run`` (``model.predict(x)`` in another file) calls a method of the instance ``flow``'s function runs in,
    which an object built from ``self`` holds: a ``self.predict()`` call made at ``call``, in this state."""
    info = flow.model.class_of_method(flow.node)
    method = run.func.attr.value if isinstance(run, cst.Call) and isinstance(run.func, cst.Attribute) else None
    func = info.methods.get(method) if info is not None and method is not None else None
    if func is not None:
        flow.a.method_calls.setdefault(func, []).append((dict(state), flow.node, call))


def _shared_step_run(flow, call: cst.Call, bound, summary: Summary, general: Summary | None, state: State) -> None:
    """A shared train/eval step called so that it does not train (``make_train('valid', x, y)``, whose
    step runs only ``if phase == 'train'``): the modules it runs as given are run by this call, in the
    mode they have here (an evaluation when the call sits in one, e.g. a loop over ``val_loader``)."""
    if summary is general or general is None or not general.trains or summary.trains:
        return
    run = {param for _, param in summary.entry_uses}
    for param, arg in bound:
        key = key_of(arg)
        if param in run and key is not None and _tracked(state, key):
            flow.uses.use(call, key, state, may_train=False)


def held_part_key(flow, key: str, attribute: str) -> str | None:
    """The key of the module that ``key.attribute`` holds where ``key`` is bound once in this scope to a project
    class built here whose ``__init__`` stores an argument there (``trainer = PtTrainer(generator, loader)``:
    ``trainer.generator`` is ``generator``); None where it holds no argument of this construction."""
    bound = flow.model.binding(key, flow.scope)
    if bound is None or not isinstance(bound[0], cst.Call):
        return None
    given = flow.calls.stored_arguments(bound[0]).get(attribute)
    return key_of(given) if given is not None else None


def _items_given(flow, bound, call: cst.Call) -> list[tuple[str, cst.BaseExpression]]:
    """(parameter, item) for each item of a list or tuple given to a parameter (``predict(x, [resnet50, resnet101])``):
    the modules a helper that runs each item of that parameter (``for model in models: model(x)``) runs."""
    return [(param, item) for param, arg in bound for item in given_items(flow.model, arg, flow.scope)]
