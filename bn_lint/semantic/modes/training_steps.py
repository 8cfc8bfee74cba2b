"""Training steps (``backward()``, ``optimizer.step()``), no-grad regions, and what feeds a step."""
from __future__ import annotations

from typing import TYPE_CHECKING

import re
from functools import cached_property

import libcst as cst

from bn_lint.semantic.modes.attribution import attribution_backward, input_gradient_backward, input_optimizer_step
from bn_lint.semantic.batching.facts import Size
from bn_lint.semantic.modes.eval_data import derived_names, eval_input, reaches_backward_in_order
from bn_lint.semantic.batching.given_numbers import given_numbers
from bn_lint.semantic.syntax.constants import evaluate
from bn_lint.semantic.knowledge.training_steps import BACKWARD_METHODS
from bn_lint.semantic.syntax.walk import children, returned_values, walk
from .keys import _names_read, key_of
from .framework_hooks import TRAIN, hook_of
from .known_calls import _NO_GRAD
from .phases import feeds_a_later_step
from .state import _lookup
from .synthetic_runs import feeds_later_step

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from .analysis import ModeAnalysis


#: the legacy autograd wrapper whose ``volatile=True`` turned gradients off (PyTorch < 0.4)
_VARIABLE = frozenset({"torch.autograd.Variable", "torch.autograd.variable.Variable", "torch.autograd.variable"})
_TRAIN_NAME = re.compile(r"(^|_)train(_|$)|^fit(_|$)|_fit$", re.IGNORECASE)


class TrainingSteps:
    """A part of the mode analysis (``analysis.steps``): training steps and no-grad regions (cached per region)."""

    def __init__(self, analysis: "ModeAnalysis") -> None:
        self.analysis = analysis

    @cached_property
    def _training_regions(self) -> dict[cst.CSTNode, bool]:
        return {}

    def trains(self, region: cst.CSTNode, direct: bool = False) -> bool:
        """Whether ``region`` (a loop or function) runs a training step: backward(), optimizer.step().

        ``direct``: only steps of this region itself, not of loops nested in it (an epoch loop
        whose inner batch loop trains may still evaluate after it).
        """
        cache = self._training_regions
        if (region, direct) in cache:
            return cache[(region, direct)]
        cache[(region, direct)] = False
        found = bool(self._training_calls(region, direct, first=True))
        cache[(region, direct)] = found
        return found

    def training_calls(self, region: cst.CSTNode, direct: bool = False) -> list[cst.Call]:
        """The training steps of ``region`` (see ``trains``)."""
        if not self.trains(region, direct):
            return []
        cache = self.analysis._training_steps
        if (region, direct) not in cache:
            cache[(region, direct)] = self._training_calls(region, direct, first=False)
        return cache[(region, direct)]

    def _training_calls(self, region: cst.CSTNode, direct: bool, first: bool) -> list[cst.Call]:
        found: list[cst.Call] = []
        stack = list(children(region))
        skipped = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.For, cst.While) if direct else \
            (cst.FunctionDef, cst.ClassDef, cst.Lambda)
        while stack and not (first and found):
            node = stack.pop()
            cls = type(node)  # (libcst's classes are ABCs: an exact type test is the quick one)
            if cls in skipped:
                continue
            if cls is cst.Call and self.is_training_call(node):
                found.append(node)
            stack.extend(children(node))
        return found

    def is_training_call(self, call: cst.Call) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and _TRAIN_NAME.search(func.attr.value) and func.attr.value != "train" \
                or isinstance(func, cst.Name) and _TRAIN_NAME.search(func.value):
            # train_step(), trainer.train_one_epoch(): a training step bn-lint cannot see
            return not self._run_without_step(call)
        if self.takes_step(call):
            return True
        summary = self.analysis.callees.callee_summary(call)
        return bool(summary and (summary.trains or self._steps_in_callee(call, summary)))

    def takes_step(self, call: cst.Call) -> bool:
        """``loss.backward()``, ``optimizer.step()``, ``scaler.step(opt)``: a training step by its own form."""
        func = call.func
        if isinstance(func, cst.Attribute):
            name = func.attr.value
            if name in BACKWARD_METHODS:
                # (a saliency backward, an attack's input gradient: trains nothing)
                return not attribution_backward(self.analysis.model, call) and not input_gradient_backward(self.analysis.model, call)
            if name in ("step", "minimize") and "opt" in self.analysis.model.code(func.value).lower():
                return not input_optimizer_step(self.analysis.model, call)  # (not `optim.SGD([delta])`: an attack's input)
            if name == "step" and "scaler" in self.analysis.model.code(func.value).lower():
                return True
        return self.analysis.model.qualname(func) == "torch.autograd.backward"

    def _steps_in_callee(self, call: cst.Call, summary) -> bool:
        """``self.batch_backward()``: a project function that takes a training step (``loss.backward()``,
        ``optimizer.step()``) on no module it runs itself; the loop that calls it trains (the forward is in a
        sibling helper, or inline). Not a call whose literal arguments rule its step out (a given summary)."""
        target = self.analysis.callees.callee(call)
        return target is not None and summary is target[0].summary(target[1]) and not summary.steps \
            and not summary.entry_uses and target[0].steps.trains(target[1])

    def _run_without_step(self, call: cst.Call) -> bool:
        """Whether ``call`` runs a project function that trains, with literal arguments under which it does
        not (``make_train('valid', x, y)``, stepping only ``if phase == 'train'``): its name does not make
        this call a training step."""
        target = self.analysis.callees.callee(call)
        if target is None or not target[0].given.decided_tests(target[1], call):
            return False
        general = target[0].summary(target[1])
        given = target[0].given.given_summary(target[1], call)
        return general is not None and given is not None and given is not general and bool(general.trains) \
            and not given.trains

    def under_no_grad(self, node: cst.CSTNode) -> bool:
        if self.volatile_input(node):
            return True  # `net(Variable(x, volatile=True))`: PyTorch < 0.4's inference mode
        if node in self.analysis.no_grad_runs:
            return True  # `net.predict(s)`: a method of the model's class that runs it under its `@torch.no_grad()`
        for ancestor in self.analysis.model.ancestors(node):
            if isinstance(ancestor, cst.With):
                if any(self.no_grad_expr(item.item) for item in ancestor.items):
                    return True
            if isinstance(ancestor, cst.FunctionDef):
                return any(self.no_grad_expr(d.decorator) for d in ancestor.decorators)
            if isinstance(ancestor, (cst.Lambda, cst.ClassDef)):
                return False
        return False

    def volatile_input(self, node: cst.CSTNode) -> bool:
        """Whether the call at ``node`` is given ``Variable(x, volatile=True)``: before PyTorch 0.4 that was how
        code ran a model with gradients off (what ``torch.no_grad()`` does now)."""
        if not isinstance(node, cst.Call):
            return False
        for arg in node.args:
            value = arg.value
            if isinstance(value, cst.Call) and self.analysis.model.qualname(value.func) in _VARIABLE and any(
                    a.keyword is not None and a.keyword.value == "volatile"
                    and isinstance(a.value, cst.Name) and a.value.value == "True" for a in value.args):
                return True
        return False

    def no_grad_expr(self, expr: cst.BaseExpression) -> bool:
        qn = self.analysis.model.qualname(expr.func if isinstance(expr, cst.Call) else expr)
        if qn in _NO_GRAD:
            return True
        if qn == "torch.set_grad_enabled" and isinstance(expr, cst.Call) and expr.args:
            # `False`, a constant, or a parameter that a call of this file leaves at (or gives) False
            value, scope = expr.args[0].value, self.analysis.model.scope_of(expr)
            return _false(value, scope, self.analysis.model) is not None or any(
                True for _ in given_numbers(self.analysis.model, value, scope, lambda e, s: _false(e, s, self.analysis.model)))
        return False

    def in_training_step(self, node: cst.CSTNode) -> bool:
        """Whether the call may feed a training step of its region: one in the same loop body, or one
        after it in the same function (a teacher run under ``no_grad`` before ``loss.backward()``); at the top
        level of a script, one after it that its output reaches (``phases``). A call after the last step of a
        function (``fit(model); with torch.no_grad(): model(x)``) cannot."""
        region = self.analysis.region(node)
        if not self.trains(region, direct=True):
            if isinstance(region, (cst.For, cst.While)) and self._outer_step_after(node, region):
                # `for x in chunks: logits.append(model(x))`, then the outer loop's backward; but not a policy acting
                # on one observation under `no_grad` (`policy(obs.unsqueeze(0)).argmax(1)` to step an environment)
                return not (self.under_no_grad(node) and (self.analysis.output_reads.predicts(node) or self.analysis.output_reads.read_out(node))
                            and _one_observation(node))
            # (or a teacher run under `no_grad` in a function one of whose calls gives its result to a backward pass:
            # `outputs, losses = self.process_batch(inputs)` then `losses["loss"].backward()`)
            return isinstance(region, cst.FunctionDef) and (
                self.feeds_backward_at_callers(region) or self.under_no_grad(node)
                and self.feeds_backward_at_callers(region, every=False))
        if isinstance(region, (cst.For, cst.While)):
            # (but an action picked under `no_grad` from the model's argmax, which no loss reads: DQN's
            # epsilon-greedy step runs the model for a prediction in the middle of training)
            # (nor samples drawn under `no_grad` to be looked at, from an input the loop does not change or
            # never reaching a loss: a GAN's fixed-noise grid in its training loop)
            if not self.under_no_grad(node):  # (unless it runs on a batch of evaluation data, for metrics only)
                return not (eval_input(self.analysis.model, node, region) and not reaches_backward_in_order(self.analysis.model, node, region))
            if self.analysis.output_reads.visualised(node) and _loop_invariant(self.analysis.model, node, region):
                return False
            if eval_input(self.analysis.model, node, region) and not reaches_backward_in_order(self.analysis.model, node, region):
                return False  # (the trained model run on evaluation data under `no_grad` now and then: no step reads it)
            return not ((self.analysis.output_reads.predicts(node) or self.analysis.output_reads.visualised(node)) and not self._reaches_backward(node, region))
        at = self.analysis.order(node)
        later = [step for step in self.training_calls(region, direct=True) if self.analysis.order(step) > at]
        if later and isinstance(region, cst.Module):  # (the top level: phases; see ``phases``)
            return feeds_a_later_step(self.analysis.model, node, later)
        if later and node in self.analysis.synthetic_runs:  # (a helper's FLOP count or trace before training starts)
            return feeds_later_step(self.analysis.model, node, region, later)
        return bool(later)

    def _outer_step_after(self, node: cst.CSTNode, loop: cst.CSTNode) -> bool:
        """Whether a loop around ``loop`` (in the same function) takes a training step after ``node``: an
        inner loop that collects the model's outputs for the outer loop's loss (MixMatch's interleaving)."""
        at = self.analysis.order(node)
        for ancestor in self.analysis.model.ancestors(loop):
            if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                return False
            if isinstance(ancestor, (cst.For, cst.While)) and self.trains(ancestor, direct=True):
                return any(self.analysis.order(step) > at for step in self.training_calls(ancestor, direct=True))
        return False

    def _reaches_backward(self, call: cst.CSTNode, loop: cst.CSTNode) -> bool:
        """Whether ``call``'s value may reach a ``.backward()`` in ``loop``: through the names assigned
        from it there (``pseudo = model(u).argmax(1)``, ``loss = ce(out, pseudo)``), or unassigned."""
        parent = self.analysis.model.parent(call)
        while isinstance(parent, (cst.Attribute, cst.Call, cst.Arg, cst.Subscript, cst.SubscriptElement, cst.Index,
                                  cst.BinaryOperation, cst.UnaryOperation)):
            parent = self.analysis.model.parent(parent)
        if not isinstance(parent, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
            return True  # (not kept in a name: not followed)
        derived = {n.value for t in getattr(parent, "targets", [parent]) for n in walk(t.target) if isinstance(n, cst.Name)}
        assignments = [n for n in walk(loop) if isinstance(n, (cst.Assign, cst.AugAssign))]
        changed = True
        while changed:
            changed = False
            for node in assignments:
                if node.value is None or not (set(_names_read(node.value)) & derived):
                    continue
                for target in (node.targets if isinstance(node, cst.Assign) else [node]):
                    for name in walk(target.target):
                        if isinstance(name, cst.Name) and name.value not in derived:
                            derived.add(name.value)
                            changed = True
        for node in walk(loop):
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                    and node.func.attr.value in BACKWARD_METHODS:
                given = [node.func.value, *(a.value for a in node.args[:1])]
                if any(set(_names_read(g)) & derived for g in given):
                    return True
        return False

    def feeds_backward_at_callers(self, func: cst.FunctionDef, every: bool = True) -> bool:
        """``loss = model.loss(v1, v2); loss.backward()``: every call of ``func`` in this file (or, not ``every``,
        one) gives what it returns to a backward pass, so ``func`` is part of a training step (a BYOL target run
        inside it)."""
        cache = self._training_regions
        if (func, "fed back", every) not in cache:
            hook = hook_of(self.analysis.model, func)  # (`training_step`: the framework backpropagates the loss it returns)
            cache[func, "fed back", every] = hook is not None and hook[0].repeats and hook[0].mode == TRAIN \
                and any(value is not None for value in returned_values(func)) or self._fed_back(func, every, set())
        return cache[func, "fed back", every]

    def _fed_back(self, func: cst.FunctionDef, every: bool, seen: set) -> bool:
        """``_feeds_backward_at_callers``, through callers that return what ``func`` returns (inside an
        expression: ``return ce(model(x), y) + unlabeled_loss(model, u)``) to callers that backpropagate it."""
        seen.add(func)
        name = func.name.value
        sites = [site for site in self.analysis.model.calls
                 if (isinstance(site.node.func, cst.Name) and site.node.func.value == name
                     and self.analysis.model.functions.get(name) is func)
                 or (isinstance(site.node.func, cst.Attribute) and site.node.func.attr.value == name
                     and any(info.methods.get(name) is func for info in self.analysis.model.classes.values()))]
        fed = [self._backward_of(site.node) or self._returned_to_backward(site.node, every, seen) for site in sites]
        if not sites and self.analysis.model.functions.get(name) is func:
            return _fed_back_elsewhere(self.analysis, name)
        return bool(sites) and (all(fed) if every else any(fed))

    def _returned_to_backward(self, call: cst.Call, every: bool, seen: set) -> bool:
        """Whether ``call``'s value is part of what its function returns, and that function's callers
        backpropagate it."""
        around = self.analysis.enclosing_function(call)
        if around is None or around in seen:
            return False
        node = self.analysis.model.parent(call)
        while isinstance(node, (cst.BinaryOperation, cst.UnaryOperation, cst.Arg, cst.Call, cst.Tuple, cst.Element)):
            node = self.analysis.model.parent(node)
        return isinstance(node, cst.Return) and self._fed_back(around, every, seen)

    def _backward_of(self, call: cst.Call) -> bool:
        """Whether ``call``'s value has ``.backward()`` called on it: inside that call's receiver, or
        through the name it is assigned to (``loss = f(x)`` ... ``loss.backward()`` in the same function)."""
        parent = self.analysis.model.parent(call)
        names: set[str] = set()
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target  # (`loss = f(x)`, `outputs, losses = f(x)`)
            targets = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [target]
            names = {t.value for t in targets if isinstance(t, cst.Name)}
        scope = self.analysis.enclosing_function(call) or self.analysis.model.module
        for node in self.analysis.model.nodes_of(scope, cst.Call):
            if not (isinstance(node.func, cst.Attribute) and node.func.attr.value in BACKWARD_METHODS):
                continue
            # `loss.backward()`, `accelerator.backward(loss)`, `self.manual_backward(loss)`; through names derived
            # from it before (`loss = w * sync_loss + l1`)
            derived = _derived_between(self.analysis, scope, names, parent, node) if names else {}
            for given in ([node.func.value] if node.func.attr.value == "backward" else []) + [a.value for a in node.args[:1]]:
                if any(inner is call or (isinstance(inner, cst.Name) and inner.value in names
                                         and self._last_bound_by(scope, inner.value, node, parent) is parent)
                       or isinstance(inner, cst.Name) and inner.value in derived
                       and self._last_bound_by(scope, inner.value, node, derived[inner.value]) is derived[inner.value]
                       for inner in walk(given)):
                    return True
        return False

    def _last_bound_by(self, scope: cst.CSTNode, name: str, node: cst.CSTNode,
                       wanted: cst.CSTNode | None = None) -> cst.CSTNode | None:
        """The last assignment to ``name`` before ``node`` in ``scope`` (``loss = f(x)`` of the training loop, not
        of the evaluation loop after it that reuses the name); ``wanted`` where only the other arm of an ``if``
        binds it later (``if c: sync_loss = f(g) else: sync_loss = 0.``: either may be the last)."""
        at, last = self.analysis.order(node), None
        for assign in self.analysis.model.nodes_of(scope, cst.Assign):
            if self.analysis.order(assign) < at and any(isinstance(n, cst.Name) and n.value == name
                                               for t in assign.targets for n in walk(t.target)) \
                    and not (wanted is not None and assign is not wanted and _other_arm(self.analysis, assign, wanted)):
                if last is None or self.analysis.order(assign) > self.analysis.order(last):
                    last = assign
        return last


def _loop_invariant(model: "FileModel", call: cst.CSTNode, loop: cst.CSTNode) -> bool:
    """Whether every name ``call``'s arguments read is bound outside ``loop`` only (``G(fixed_noise)``)."""
    if not isinstance(call, cst.Call) or not call.args:
        return False
    read = {name for arg in call.args for name in _names_read(arg.value)}
    for node in model.nodes_of(loop, cst.Assign, cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr, cst.WithItem):
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, cst.WithItem):
            targets = [node.asname.name] if node.asname is not None else []
        else:
            targets = [node.target]
        if any(isinstance(n, cst.Name) and n.value in read for t in targets for n in walk(t)):
            return False
    return True



def _false(expr: cst.BaseExpression, scope, model) -> Size | None:
    """``Size(0)`` (a flag as a number, for ``given_numbers``) when ``expr`` is ``False`` or a constant of it."""
    false = isinstance(expr, cst.Name) and (expr.value == "False" or evaluate(expr, model, scope) is False)
    return Size(0) if false else None


def _one_observation(call: cst.CSTNode) -> bool:
    """Whether the call's first argument adds a batch axis of one to one sample (``obs.unsqueeze(0)``, ``obs[None]``)."""
    arg = call.args[0].value if isinstance(call, cst.Call) and call.args else None
    if isinstance(arg, cst.Call) and isinstance(arg.func, cst.Attribute) and arg.func.attr.value == "unsqueeze":
        return len(arg.args) == 1 and isinstance(arg.args[0].value, cst.Integer) and arg.args[0].value.value == "0"
    return isinstance(arg, cst.Subscript) and isinstance(arg.slice[0].slice, cst.Index) \
        and isinstance(arg.slice[0].slice.value, cst.Name) and arg.slice[0].slice.value.value == "None"


def result_trained(analysis, call: cst.Call) -> bool:
    """Whether a backward pass trains on what ``call`` returns where it is called: ``loss = f(x); loss.backward()``,
    or through the names assigned from it in its loop (``prob, val = self.predict(x)``, ``loss = ce(prob, y) +
    mse(val, z)``, ``loss.backward()``): a training use of ``call``, not an evaluation, whatever its name."""
    memo = analysis.__dict__.setdefault("_result_trained", {})
    if call not in memo:
        memo[call] = _result_trained(analysis, call)
    return memo[call]


def _result_trained(analysis, call: cst.Call) -> bool:
    if analysis.steps._backward_of(call):
        return True
    parent = analysis.model.parent(call)
    while isinstance(parent, (cst.Attribute, cst.Call, cst.Arg, cst.Subscript, cst.SubscriptElement, cst.Index)):
        parent = analysis.model.parent(parent)
    if not isinstance(parent, cst.Assign):
        return False
    function = analysis.enclosing_function(call)
    region = next((a for a in analysis.model.ancestors(call) if isinstance(a, (cst.For, cst.While))
                   and (function is None or analysis.enclosing_function(a) is function)), function or analysis.model.module)
    names = {n.value for t in parent.targets for n in walk(t.target) if isinstance(n, cst.Name)}
    for node in analysis.model.nodes_of(region, cst.Call):  # (`loss = ce(net.predict(x), y)`; `loss.backward()`)
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in BACKWARD_METHODS and any(
                isinstance(n, cst.Name) and n.value in names and analysis.steps._last_bound_by(region, n.value, node) is parent
                for given in [node.func.value, *(a.value for a in node.args[:1])] for n in walk(given)):
            return True
    return reaches_backward_in_order(analysis.model, call, region)


def trains_in_eval(analysis, loop: cst.CSTNode) -> bool:
    """Whether every module the training steps of ``loop`` run is in eval mode there on every path the code shows
    (``net.eval()`` before training with batches of one: BatchNorm frozen on purpose, running on its averages)."""
    analysis.run()
    sites = [site for site in analysis.train_uses.values() if loop in analysis.model.ancestors(site.node)]
    around = analysis.enclosing_function(loop) or analysis.model.module
    switched = {key_of(call.func.value) for call in analysis.model.nodes_of(around, cst.Call)
                if isinstance(call.func, cst.Attribute) and call.func.attr.value == "train"}
    return bool(sites) and all(site.key not in switched and _modes_given(analysis, site) == {"eval"} for site in sites)


def _modes_given(analysis, site) -> set[str]:
    """The modes of ``site``'s module where every visible caller of its function decides its entry mode (a module
    global read by a function the script calls); a step's own "trained" mode (a back edge's) is not one of them."""
    func = analysis.enclosing_function(site.node)
    root, _, rest = site.key.partition(".")
    where = analysis.entry.args_key(func) if func is not None else None
    modes: set[str] = set()
    use = analysis.uses.get(site.node)  # (and the facts of all paths there, not only the training step's)
    for fact in site.facts | (use.facts if use is not None and use.key == site.key else frozenset()):
        if fact.mode == "entry":
            passed = analysis.call_args.get(f"{where}.{root}") if where is not None else None
            if not passed:
                return {"entry"}
            modes |= {f.mode for key, state, _ in passed for f in _lookup(state, f"{key}.{rest}" if rest else key)}
        elif not (fact.mode == "train" and fact.why == "trained"):
            modes.add(fact.mode)
    return modes


def _derived_between(analysis, scope: cst.CSTNode, names: set[str], start: cst.CSTNode,
                     end: cst.CSTNode) -> dict[str, cst.CSTNode]:
    """Name -> the assignment that binds it from ``names`` (or from a name so bound), between ``start`` and
    ``end`` in ``scope``, by arithmetic on it: ``loss = 0.03 * sync_loss + l1`` after ``sync_loss = get_sync_loss(g)``
    (not ``loss = ce(net(x), labels)``: a call given it as a target)."""
    assigns = sorted(analysis.model.nodes_of(scope, cst.Assign), key=analysis.order)
    return derived_names(analysis.order, assigns, names, analysis.order(start), analysis.order(end), _summed_names)


def _other_arm(analysis, one: cst.CSTNode, other: cst.CSTNode) -> bool:
    """Whether ``one`` and ``other`` sit in the two arms of one ``if``."""
    around = set(analysis.model.ancestors(other))
    child = one
    for ancestor in analysis.model.ancestors(one):
        if isinstance(ancestor, cst.If) and ancestor in around:
            arm = ancestor.body if child is ancestor.body else ancestor.orelse if child is ancestor.orelse else None
            return arm is not None and arm not in around and other is not arm
        child = ancestor
    return False


def _summed_names(value: cst.BaseExpression) -> set[str]:
    """The names ``value`` combines by arithmetic (``w * sync_loss + l1``: ``w``, ``sync_loss``, ``l1``), not those
    given to a call or subscripted inside it."""
    if isinstance(value, cst.Name):
        return {value.value}
    if isinstance(value, cst.BinaryOperation):
        return _summed_names(value.left) | _summed_names(value.right)
    if isinstance(value, cst.UnaryOperation):
        return _summed_names(value.expression)
    return set()


_CALLING_FILES = 4  # the most calling files read for a helper's backward pass


def _fed_back_elsewhere(analysis, name: str) -> bool:
    """Whether the files beside this one that call the module-level function ``name`` (and no code of this file)
    each give what it returns to a backward pass at every call (``loss = trades_loss(model, x, y, opt)``, then
    ``loss.backward()`` in the training script)."""
    from bn_lint.semantic.project.callers import caller_model, calling_files

    project = analysis.model.project
    paths = []
    for path in calling_files(analysis.model, name) if project is not None else ():
        if not project.mentions(path, "backward"):
            return False  # (a caller that backpropagates nothing: read from its text, without parsing it)
        paths.append(path)
        if len(paths) > _CALLING_FILES:
            return False  # (a function many files call is a library's, not one training script's loss helper)
    others = [other for other in (caller_model(analysis.model, path) for path in paths)
              if other is not None and other is not analysis.model]
    if not others:
        return False
    for other in others:
        theirs = other.analysis(type(analysis))
        sites = [site for site in other.calls if isinstance(site.node.func, (cst.Name, cst.Attribute))
                 and (site.node.func.value if isinstance(site.node.func, cst.Name) else site.node.func.attr.value) == name]
        if not sites or not all(theirs.steps._backward_of(site.node) for site in sites):
            return False
    return True
