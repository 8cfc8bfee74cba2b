"""The flow's model calls: uses, training steps on this path, gradients off under an assumed condition."""
from __future__ import annotations

from typing import TYPE_CHECKING

import re

import libcst as cst

from bn_lint.semantic.knowledge.library_models import LIBRARY_FORWARDS, fitted_by_trainer
from bn_lint.semantic.knowledge.model_runners import module_put_in_eval, runner_arguments
from bn_lint.semantic.project.declared_versions import lightning_fit_keeps_modes
from bn_lint.semantic.project.definitions import given_classes, inherited_definition, project_class
from .candidates import no_grad_method_run
from .fixed_runs import gradient_free_run
from bn_lint.semantic.evaluators.call_binding import bind
from .dominating import last_mode_call
from .conditions import _NOT_LITERAL, _condition, _condition_name, _literal, holds
from .method_names import SWITCHES_OWN_MODE
from .output_reads import detached
from .keys import _called_name, _unwrap_passthrough, key_of, key_root
from .list_entries import iterated_values
from .known_calls import _SAFE_METHODS, _is_module_call, _NO_GRAD, text_value
from .records import Site, Watch, _merge
from .state import ENTRY, EVAL, TRAIN, Fact, State, _ENTRY, _child_of, _lookup, _set, _tracked
from .trained import TRAINED, after_training_step, is_loss_value, loss_named, trained_into

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from .flow import _Flow


class FlowUses:
    """A part of the walk of one function (``flow.uses``): model calls (forward passes) and training steps."""

    def __init__(self, flow: "_Flow") -> None:
        self.flow = flow

    def library_run(self, call: cst.Call, qn: str | None, state: State) -> bool:
        """``thop.profile(model, inputs=(x,))``: a library runner's call runs the module it is given, in the mode
        it has, and keeps that mode (``knowledge/model_runners``)."""
        runner = runner_arguments(qn, call)
        key = key_of(runner[0]) if runner is not None else None
        if key is None or not _tracked(state, key):
            return False
        self.use(call, key, state)
        return True

    def use(self, call: cst.Call, key: str, state: State, may_train: bool = True) -> None:
        """``call`` runs ``key``: a use; a training one where its region trains (unless ``may_train`` is False: a
        shared step called so that it does not train)."""
        a = self.flow.a
        if key in self.flow.params and call.func is not None and key_of(call.func) == key and self._given_classes(key):
            return  # `model = model_class(**kwargs)`: its callers give it a class; calling it builds a model
        if call.args and all(text_value(arg.value) for arg in call.args):
            return  # (`logprint("time: %.4f" % t)`: a message, no input a network runs on)
        facts = _lookup(state, key)
        if isinstance(call.func, cst.Attribute) and no_grad_method_run(a, call):
            a.no_grad_runs.add(call)  # (`model.predict(s)`, its method decorated `@torch.no_grad()`)
        a.uses[call] = _merge(a.uses.get(call), key, facts, call, self.flow)
        if (call, key) not in a.first_uses:
            a.first_uses[(call, key)] = Site(call, key, facts, self.flow.scope)
        if (frozenset(f for f in facts if not f.local) or facts) == _ENTRY and key_root(key) in self.flow.params:
            # (`net(x)`, `self.inception(x)`: as the caller gives it; where the name may hold another object the
            # function built in place of the one given, the given one as it is given)
            self.flow.entry_uses.append((call, key))
        seen = a.use_assumed.get(call)
        a.use_assumed[call] = dict(self.flow.assume) if seen is None else \
            {test: held for test, held in seen.items() if self.flow.assume.get(test) == held}
        if self.flow.assume and not self.trains_here(a.region(call)):
            reason = self._gradients_off_here(call)
            if reason is not None:
                old = a.path_evals.get(call)
                a.path_evals[call] = (_merge(old[0] if old else None, key, facts, call, self.flow), reason)
                a.path_assumed.setdefault(call, dict(self.flow.assume))  # (its callers that decide the tests otherwise: not it)
        gradient_free_run(self.flow, call, key, facts, state)  # (a frozen encoder's forward in a probe's loop)
        if may_train and not a.steps.under_no_grad(call) and not detached(self.flow.model, call) and (
                self.trains_here(a.region(call)) or isinstance(a.region(call), cst.FunctionDef)
                and a.steps.feeds_backward_at_callers(a.region(call))):  # (`loss = self._step(model, x); loss.backward()`)
            a.train_uses[call] = _merge(a.train_uses.get(call), key, facts, call, self.flow)
            self._parts_trained(call, key, state)
            self.watch_training(call, key, state)
            if key in self.flow.params:
                self.flow.stepped[key] = self.flow.stepped.get(key, frozenset()) | facts
            elif key_root(key) in self.flow.params:
                self.flow.part_stepped[key] = self.flow.part_stepped.get(key, frozenset()) | facts
            if ENTRY in {f.mode for f in facts}:
                root = key_root(key)
                if root in self.flow.params:
                    self.flow.trained.add(root)
                    self.flow.trained_keys.add(key)
                if not is_loss_value(self.flow.model, call) and not loss_named(key):  # (a model, not the loss it feeds)
                    _set(state, key, after_training_step(facts, call))  # (a model it trains is in training mode)
            elif any(trained_into(f) for f in facts) and not is_loss_value(self.flow.model, call) and not loss_named(key):
                # (given to code out of sight, `self.logger.info(self.model)`, then trained here: in training mode,
                # RULES.md's "a model after a training step", unless a shown path put it in eval)
                _set(state, key, after_training_step(facts, call))
        elif may_train and EVAL in {f.mode for f in facts} and not a.steps.under_no_grad(call) \
                and isinstance(a.region(call), cst.FunctionDef) \
                and not detached(self.flow.model, call) and a.steps.feeds_backward_at_callers(a.region(call)):
            # (a loss helper whose forward runs after its own evaluation helper left the model in eval: `pl =
            # pseudo_labeling(model, u); return ce(model(x), pl)`, its loss backpropagated by every caller)
            a.train_uses[call] = _merge(a.train_uses.get(call), key, facts, call, self.flow)

    def _parts_trained(self, call: cst.Call, key: str, state: State, touched: list[str] = ()) -> None:
        """A training step of ``key`` trains the followed modules inside it, each in the mode it has: the ones
        held under its attributes (``GD.G``, the generator a wrapper's constructor stores) and the members of a
        container built here (``nn.Sequential(encoder, head)``). A part left in eval trains in eval. ``touched``:
        the modules a helper that runs the step sets the mode of before it (their modes here are not theirs there)."""
        parts = sorted({k for k in state if _child_of(k, key)} | set(self.flow.parts.get(key, ())))
        for part in parts:
            if any(part == t or _child_of(part, t) or _child_of(t, part) for t in touched):
                continue
            if _tracked(state, part):
                # (under the name the code set its mode by, where it holds one: `G` for `GD.G`)
                part = next((other for one, other in self.flow.aliases if one == part and _tracked(state, other)), part)
                site = (call, part)
                self.flow.a.train_uses[site] = _merge(self.flow.a.train_uses.get(site), part, _lookup(state, part), call, self.flow)

    def lambda_run(self, call: cst.Call, state: State) -> bool:
        """``fun(x)`` where ``fun`` is bound once to a lambda whose body calls a tracked module
        (``fun = lambda d: self.model(d, mode=m)``): that module runs at this call, in the modes here."""
        func = call.func
        bound = self.flow.model.binding(func.value, self.flow.model.scope_of(call)) if isinstance(func, cst.Name) else None
        lam = bound[0] if bound is not None else None
        if not (isinstance(lam, cst.Lambda) and isinstance(lam.body, cst.Call)):
            return False
        key = key_of(lam.body.func)
        params = {param.name.value for param in lam.params.params}
        if key is None or re.split(r"[.\[]", key)[0] in params or not _is_module_call(lam.body.func, key, state):
            return False
        self.use(call, key, state)
        return True

    def forward_method(self, receiver: str, method: str, state: State, call: cst.Call) -> bool:
        """Whether ``method`` is one the class of this file that built ``receiver`` (or ``self.attr`` it is an
        alias of) defines, and its body runs one of the submodules ``__init__`` stores (``def encode(self, x):
        return self.enc(x)``) or the model itself (``self.forward(batch)``, ``self(batch)``)."""
        if method in _SAFE_METHODS or method in ("eval", "train", "forward", "apply", "__init__"):
            return False
        classes = []  # (file model, class): the classes it was built as, in this file or imported from another
        for fact in _lookup(state, receiver):
            built = _unwrap_passthrough(fact.node) if isinstance(fact.node, cst.Call) else None
            found = project_class(self.flow.model, built.func) if isinstance(built, cst.Call) \
                and isinstance(built.func, (cst.Name, cst.Attribute)) else None
            if found is not None:
                classes.append(found)
        for key in {receiver, *(other for one, other in self.flow.aliases if one == receiver)}:
            parts = key.split(".")
            if len(parts) == 2 and parts[0] == "self" and parts[1].isidentifier():
                held = self.flow.a.callees.attribute_class(cst.Attribute(value=cst.Name("self"), attr=cst.Name(parts[1])), call)
                if held is not None:
                    classes.append((self.flow.model, held))
        for owner, info in classes:
            function, defined_in = info.methods.get(method), (owner, info)
            if function is None:  # (a method its project base class defines, in this file or another)
                inherited = inherited_definition(owner, info, method)
                function, defined_in = (inherited[2], inherited[:2]) if inherited is not None else (None, None)
            if function is not None and _runs_own_layers(*defined_in, function):
                return True
        # a model of a class this file does not define: a library model's method that runs its forward, or any call on
        # it (a part, a method) whose result a backward pass trains on (`student.model(student.preprocessor(x))`)
        return not classes and (method in LIBRARY_FORWARDS or trained_part_run(self.flow, receiver, method, call))

    def trains_here(self, region: cst.CSTNode) -> bool:
        """Whether ``region`` runs a training step on this path: one not in a branch the assumed
        conditions rule out (`if phase == 'train': loss.backward()` where `phase` is not 'train')."""
        if not self.flow.assume:
            return self.flow.a.steps.trains(region, direct=True)
        return any(not self._ruled_out(step, region) for step in self.flow.a.steps.training_calls(region, direct=True))

    def _gradients_off_here(self, call: cst.Call) -> str | None:
        """Why ``call`` evaluates on this path: gradients are off (``with torch.set_grad_enabled(cond):`` with
        ``cond`` assumed false), or its output goes to predictions where the training step is skipped."""
        for ancestor in self.flow.model.ancestors(call):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                break
            if not isinstance(ancestor, cst.With):
                continue
            for item in ancestor.items:
                switch = item.item
                if not (isinstance(switch, cst.Call) and switch.args
                        and self.flow.model.qualname(switch.func) == "torch.set_grad_enabled"):
                    continue
                condition = _condition(switch.args[0].value)
                if (condition is not None and self.flow.assume.get(condition[0], condition[1]) != condition[1]
                        and self._can_fail(condition, ancestor)):
                    test = self.flow.model.code(switch.args[0].value)
                    return f"under `torch.set_grad_enabled({test})` where `{test}` is false"
        return predictions_off_the_training_path(self.flow, call)

    def _can_fail(self, condition: tuple[str, bool], node: cst.CSTNode, model_root: str | None = None) -> bool:
        """Whether the code shows a value that makes ``condition`` false at ``node``: a literal of the
        enclosing ``for name in ('train', 'val')``, or one that a call of the enclosing function passes
        for (or leaves as the default of) the parameter it tests (with ``model_root``, a parameter: a call that
        passes it a model in training mode, or one of unknown mode)."""
        key, outcome = condition
        name = _condition_name(key)

        def fails(value: cst.BaseExpression | None) -> bool:
            literal = _literal(value)
            if literal is _NOT_LITERAL:
                return False
            return holds(key, literal) != outcome

        for ancestor in self.flow.model.ancestors(node):
            if isinstance(ancestor, cst.For) and isinstance(ancestor.target, cst.Name) \
                    and ancestor.target.value == name:
                values = iterated_values(self.flow.model, ancestor.iter, self.flow.model.scope_of(ancestor))
                return values is not None and any(fails(value) for value in values)
            if isinstance(ancestor, cst.FunctionDef):
                return _passed_to_fail(self.flow.model, ancestor, name, fails, model_root)
        return False

    def _ruled_out(self, node: cst.CSTNode, region: cst.CSTNode) -> bool:
        child = node
        for ancestor in self.flow.model.ancestors(node):
            if ancestor is region:
                return False
            if isinstance(ancestor, cst.If):
                condition = _condition(ancestor.test)
                if condition is not None and condition[0] in self.flow.assume:
                    taken = ancestor.body if self.flow.assume[condition[0]] == condition[1] else ancestor.orelse
                    if child is not taken and child is not ancestor.test:
                        return True
            child = ancestor
        return False

    def training_helper(self, call: cst.Call, state: State) -> None:
        """A call of a project function that trains some of its parameters in their entry mode, or a library
        trainer's (``trainer.fit(model)``: ``.train()``, then training steps)."""
        summary = self.flow.a.callees.callee_summary(call)
        fitted = key_of(fitted_by_trainer(call)) if summary is None and fitted_by_trainer(call) is not None else None
        if fitted is not None and _tracked(state, fitted):
            if not lightning_fit_keeps_modes(self.flow.model):  # (Lightning >= 2.2, declared, leaves the modes as they are)
                kinds = {f.kind for f in _lookup(state, fitted) if f.kind is not None}
                facts = frozenset({Fact(TRAIN, call, "train()", "`.fit()` at line {line} calls `.train()`",
                                        next(iter(kinds)) if len(kinds) == 1 else None)})
                self.flow.assignments.set_mode(state, fitted, facts)
            self.watch_training(call, fitted, state)
            return
        if summary is None or not summary.trains:
            return
        for param, arg in self.flow.helper_calls.bind_args(call, summary):
            key = key_of(arg)
            if param not in summary.trains or key is None:
                continue
            for trained in sorted(summary.trained_keys):  # `model.train_emb(x)` runs `self.img_enc`: `model.img_enc`
                target = key + trained[len(param):]
                if trained.startswith(param + ".") and target in state:
                    self.flow.a.train_uses[(call, target)] = _merge(self.flow.a.train_uses.get((call, target)), target,
                                                               _lookup(state, target), call, self.flow)

            if _tracked(state, key):
                facts = _lookup(state, key)
                site = self.flow.a.train_uses[call] = _merge(self.flow.a.train_uses.get(call), key, facts, call, self.flow)
                if site.key != key:  # (a step of two models, `train_fn(disc, gen, ...)`: each one's use)
                    self.flow.a.train_uses[(call, key)] = _merge(self.flow.a.train_uses.get((call, key)), key, facts, call, self.flow)
                # (not the parts whose modes the helper sets itself: `run_epoch(phase='train')` calling
                # `self.model.train()` before its step)
                touched = [key + effect[len(param):] for effect, facts in summary.effects.items()
                           if (effect == param or _child_of(effect, param))
                           and any(f.mode != ENTRY and f.why != TRAINED for f in facts)]  # (not: trained as given)
                self._parts_trained(call, key, state, touched)
                self.watch_training(call, key, state)
                if ENTRY in {f.mode for f in facts} and key_root(key) in self.flow.params:
                    self.flow.trained.add(key_root(key))

    def watch_part_steps(self, call: cst.Call, param: str, arg: cst.BaseExpression, summary, analysis,
                          state: State) -> None:
        """``trainer.fit()`` whose method sets ``self.model`` to train and steps it, ``trainer`` built with the model
        (``trainer.model`` here): the watched modules inside that step, in the mode it gives the model."""
        key = key_of(arg)
        for part, facts in summary.part_steps.items():
            root, _, rest = part.partition(".")
            target = f"{key}.{rest}" if key is not None and root == param and rest else None
            if target is not None and key_root(key) in self.flow.params and {f.mode for f in facts} == {TRAIN}:
                # (a step two calls deep: `run()` calls `self.fit()`, which sets `self.backbone` to train and steps it)
                self.flow.part_stepped[target] = self.flow.part_stepped.get(target, frozenset()) | facts
            watched = target is not None and any(w == target for w, _reason in self.flow.watch.values())
            if target is not None and (target in state or watched) and not _tracked(state, key) \
                    and {f.mode for f in facts} == {TRAIN}:  # (a part a constructor of another file froze: watched)
                during = dict(state)
                _set(during, target, self.flow.helper_calls.translate(facts, _lookup(state, target), call, summary, analysis))
                self.watch_training(call, target, during)

    def watch_training(self, site: cst.CSTNode, trained: str, state: State) -> None:
        """At a training step of ``trained``: record the modes of the watched modules inside it."""
        for node, (key, reason) in self.flow.watch.items():
            names = [key] + [twin + key[len(name):] for one, other in self.flow.aliases
                             for name, twin in ((one, other), (other, one)) if key == name or _child_of(key, name)]
            related = any(
                name == trained or _child_of(name, trained) or (reason == "frozen" and _child_of(trained, name))
                or any(name == part or _child_of(name, part) for part in self.flow.parts.get(trained, ()))
                for name in names)  # (under either name of a module held by another: `model.encoder` is `encoder`)
            if not related:
                continue
            facts = _lookup(state, key)
            old = self.flow.a.watched.get(node)
            if old is not None:
                facts = facts | old.facts
            self.flow.a.watched[node] = Watch(node, key, reason, facts, site, trained, self.flow.scope, self.flow.a.freeze_origins.get(node))

    def _given_classes(self, param: str) -> bool:
        """Whether every call of this function in its file gives ``param`` a class: calling it builds one."""
        return isinstance(self.flow.node, cst.FunctionDef) and bool(given_classes(self.flow.model, self.flow.node, param))


def _passed_to_fail(model: "FileModel", func: cst.FunctionDef, name: str, fails, model_root: str | None = None) -> bool:
    params = list(func.params.posonly_params) + list(func.params.params)
    positions = [p.name.value for p in params]
    declared = [p for p in params + list(func.params.kwonly_params) if p.name.value == name]
    if not declared:
        return False
    default = declared[0].default
    for site in model.calls:
        call = site.node
        if _called_name(call.func) != func.name.value:
            continue
        offset = 1 if positions and positions[0] in ("self", "cls") and isinstance(call.func, cst.Attribute) else 0
        given = None
        for index, arg in enumerate(call.args):
            if arg.star:
                given = False  # unknown
                break
            if (arg.keyword is not None and arg.keyword.value == name) or (
                    arg.keyword is None and name in positions and index + offset == positions.index(name)):
                given = arg.value
                break
        if given is False:
            continue
        if fails(given if given is not None else default) and not _passes_eval_model(model, func, call, model_root):
            return True
    return False


def _runs_own_layers(model, info, function: cst.FunctionDef) -> bool:
    """Whether the method ``function`` of class ``info`` (of ``model``'s file) runs one of the submodules its
    ``__init__`` stores (``def encode(self, x): return self.enc(x)``) or the model itself (``self.forward(batch)``,
    ``self(batch)``), and sets no mode of its own (one that puts its instance in eval first, ``predict()``, is
    followed for what it does), nor loops over data or turns gradients off (``collect(valid_loader)``: a routine
    whose own body says what its runs are, followed too)."""
    def gradients_off(expr: cst.BaseExpression) -> bool:  # (`torch.no_grad()`, `@torch.inference_mode()`)
        return model.qualname(expr.func if isinstance(expr, cst.Call) else expr) in _NO_GRAD

    if any(True for _ in model.nodes_of(function, cst.For, cst.While)) \
            or any(gradients_off(d.decorator) for d in function.decorators) \
            or any(gradients_off(item.item) for node in model.nodes_of(function, cst.With) for item in node.items):
        return False
    return not SWITCHES_OWN_MODE.search(model.code(function)) and any(
        isinstance(c.func, cst.Attribute) and isinstance(c.func.value, cst.Name) and c.func.value.value == "self"
        and (c.func.attr.value in info.attributes and c.func.attr.value not in info.methods
             or c.func.attr.value == "forward")  # `def train_step(self, batch): out = self.forward(batch)`
        or isinstance(c.func, cst.Name) and c.func.value == "self"
        for c in model.nodes_of(function, cst.Call))


def _passes_eval_model(model, func: cst.FunctionDef, call: cst.Call, model_root: str | None) -> bool:
    """Whether ``call`` passes the parameter ``model_root`` a model that the last mode call dominating it puts
    in eval (``model.eval(); run_epoch(model, loader, None)``): that call is not a path of a model in training
    mode."""
    if model_root is None:
        return False
    params = [p.name.value for p in [*func.params.posonly_params, *func.params.params, *func.params.kwonly_params]]
    if params and params[0] in ("self", "cls") and isinstance(call.func, cst.Attribute):
        params = params[1:]
    given = bind(call, params).values.get(model_root)
    key = key_of(given) if given is not None else None
    return key is not None and last_mode_call(model, call, key) == EVAL


def library_eval(flow, call: cst.Call, qn: str | None, state: State) -> bool:
    """``hessian(model, criterion, data=batch)``: a library call that puts the module it is given in eval mode
    and leaves it there (``knowledge/model_runners.EVAL_SETTERS``)."""
    given = module_put_in_eval(qn, call)
    key = key_of(given) if given is not None else None
    if key is None or not _tracked(state, key):
        return False
    name = qn.rpartition(".")[2] if qn else "call"
    flow.assignments.set_mode(state, key, frozenset({Fact(EVAL, call, "helper", f"`{name}()` at line {{line}} calls `.eval()`")}))
    return True


def trained_part_run(flow, receiver: str, method: str, call: cst.Call) -> bool:
    """``student.preprocessor(x)`` in a training step whose backward pass trains on its result: a run of layers of
    ``student`` (a part or a method running them), not a loss (``model.loss(out, y)``, the value backpropagated)."""
    from .training_steps import result_trained

    if key_root(receiver) == "self" or loss_named(method) or is_loss_value(flow.model, call):
        return False
    return flow.uses.trains_here(flow.a.region(call)) and result_trained(flow.a, call)


def predictions_off_the_training_path(flow, call: cst.Call) -> str | None:
    """Why ``call`` evaluates on a path where the assumed tests skip every training step of its region that the
    code can skip (``if is_training: loss.backward()`` with ``is_training`` false, a caller passing ``False``): its
    output goes to predictions (``torch.max(probs, 1)``) or is read out as numbers (``loss.item()``), which no step
    trains on there."""
    region = flow.a.region(call)
    skipped = [step for step in flow.a.steps.training_calls(region, direct=True) if flow.uses._ruled_out(step, region)]
    if not skipped:
        return None
    read = "goes to predictions" if flow.a.output_reads.predicts(call) else "is read out as numbers (a loss or metric's `.item()`)" \
        if flow.a.output_reads.read_as_number(call) else None
    if read is None:
        return None
    for ancestor in flow.model.ancestors(skipped[0]):
        condition = _condition(ancestor.test) if isinstance(ancestor, cst.If) else None
        if condition is not None and condition[0] in flow.assume and flow.uses._can_fail(
                condition, ancestor, key_root(key_of(call.func) or "") or None):
            return f"its output {read}, and `if {flow.model.code(ancestor.test)}:` skips the training step on this path"
    return None
