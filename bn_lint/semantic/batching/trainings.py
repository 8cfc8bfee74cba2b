"""Training loops over a loader and the models they train (``TrainingDetection``, one per file): a loop
over the loader (see :mod:`loader_loops`) with a training step (``backward()``, an optimizer step, a helper
that runs ``backward()``) outside ``no_grad``, running a model (see :mod:`model_resolution`) nothing puts in
eval mode; also the loops of a project trainer the loader is handed to (``Trainer(model, loader).fit()``,
``trainer.fit(loader)``, ``train(model, loader)`` of another file)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.batching.facts import (
    Training, _NO_GRAD, _calls_a_parameter, _has_backward, _init_params, _init_stores, _looks_like_optimizer,
    _map_ref, _params, _reached,
)
from bn_lint.semantic.file.records import param_of
from bn_lint.semantic.evaluators.call_binding import bind_in
from bn_lint.semantic.batching.loader_loops import LoaderLoops
from bn_lint.semantic.batching.method_loaders import files_beside, method_calls, returning_method
from bn_lint.semantic.batching.model_resolution import ModelResolution
from bn_lint.semantic.nn_modules.bearing import ModelKind, project_class
from bn_lint.semantic.nn_modules.losses import builds_loss
from bn_lint.semantic.nn_modules.uses import forwarded
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope


class TrainingDetection:
    """Which loops train which models on a loader."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model
        self.loops = model.analysis(LoaderLoops)
        self.models = model.analysis(ModelResolution)
        self._trainer_loops: dict[cst.FunctionDef, list[tuple[str, str]]] = {}  # (loops_training)

    def trains_batchnorm(self) -> bool:
        """Whether some loop of this file trains a BatchNorm model (whatever it iterates: a loader
        returned by a builder, a generator, a list of batches)."""
        return any(training.kind is ModelKind.BN for loop in self.model.nodes_of(self.model.module, cst.For)
                   for training in self._loop_trainings(loop, {}))

    def trainings(self, call: cst.Call, scope: "Scope") -> Iterator[Training]:
        """The loops that train a model on the loader built by ``call``: in this file, or in a trainer
        the loader is handed to."""
        refers = self.loops.reference(call, scope)
        if refers is None:
            return
        seen: set[int] = set()
        for test in (refers, *self.loops.returned_to(call, scope)):
            for loop, env in self.loops.loops_over(test):
                if id(loop) in seen:
                    continue
                seen.add(id(loop))
                yield from self._loop_trainings(loop, env)
            yield from self._handed_over(test)
        yield from self._method_trainings(call, scope)

    def _method_trainings(self, call: cst.Call, scope: "Scope") -> Iterator[Training]:
        """The trainings on the loader a method of a class of this file returns, through the calls of that
        method on its instances, here and in the files beside this one (:mod:`method_loaders`); a loop of
        another file is not named (``Training.loop`` None)."""
        found = returning_method(self.model, call, scope)
        if found is None:
            return
        info, method = found
        callers = [self.model, *files_beside(self.model, method.name.value + "(", info.name)]
        for caller in callers:
            other = caller.analysis(TrainingDetection)
            for site, at in method_calls(caller, self.model, info, method, call):
                test = other.loops.reference(site, at)
                for loop, env in other.loops.loops_over(test) if test is not None else ():
                    for training in other._loop_trainings(loop, env):
                        yield training if caller is self.model else Training(None, training.label, training.kind,  # type: ignore[arg-type]
                                                                             training.ddp)

    def _loop_trainings(self, loop: cst.For, env: dict) -> Iterator[Training]:
        model = self.model
        for expr, at in self.trained_calls(loop):
            found = self.models.kind(expr, at, env)
            if found is None:
                continue
            kind, ddp, label = found
            if self.set_to_eval(model.code(expr), loop):
                continue
            yield Training(loop, label, kind, ddp)

    def trained_calls(self, loop: cst.For) -> list[tuple[cst.BaseExpression, "Scope"]]:
        """What a loop with a training step (``backward()``, an optimizer step, a helper that runs
        ``backward()``) calls outside ``no_grad``, with its scope: the models it may train. Empty for
        a loop without a training step."""
        model = self.model
        if self.under_no_grad(loop):
            return []
        scope = model.scope_of(loop)
        trains = False
        candidates: list[tuple[cst.BaseExpression, Scope]] = []
        for node in walk(loop.body):
            if not isinstance(node, cst.Call):
                continue
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "backward":
                trains = True
            elif isinstance(func, cst.Attribute) and func.attr.value == "step" and _looks_like_optimizer(model, func.value, scope):
                trains = True
            elif isinstance(func, (cst.Name, cst.Attribute)):
                helper, params = self.loops.callee(node, scope)
                if helper is not None and _has_backward(helper):
                    trains = True
                    candidates += [(a.value, scope) for a in node.args if not a.star]
                elif helper is not None and _calls_a_parameter(helper, params):
                    # `loss = swav_loss(model, x)` ... `loss.backward()`: the helper runs the model it is given
                    candidates += [(a.value, scope) for a in node.args if not a.star]
            if isinstance(func, (cst.Name, cst.Attribute)) and not self.under_no_grad(node, stop=loop) \
                    and not builds_loss(model, func, scope):  # (`criterion(out, y)`: a loss module, no model)
                candidates.append((forwarded(func) or func, scope))  # (`model.forward(x)`: a run of `model`)
        return candidates if trains else []

    def under_no_grad(self, node: cst.CSTNode, stop: cst.CSTNode | None = None) -> bool:
        model = self.model
        for ancestor in model.ancestors(node):
            if ancestor is stop:
                return False
            if isinstance(ancestor, cst.With):
                for item in ancestor.items:
                    expr = item.item.func if isinstance(item.item, cst.Call) else item.item
                    if model.qualname(expr) in _NO_GRAD:
                        return True
            if isinstance(ancestor, cst.FunctionDef):
                for decorator in ancestor.decorators:
                    expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
                    if model.qualname(expr) in _NO_GRAD:
                        return True
                return False
        return False

    def set_to_eval(self, label: str, loop: cst.For) -> bool:
        """``model.eval()`` before or in the loop, in its function (or module), and never ``model.train()``:
        BatchNorm uses running stats. An eval only after the loop leaves its first pass training."""
        model = self.model
        root: cst.CSTNode = model.module
        for ancestor in model.ancestors(loop):
            if isinstance(ancestor, cst.FunctionDef):
                root = ancestor
                break
        start, inside = model.order(loop), {id(node) for node in model.nodes_of(loop, cst.Call)}
        evals = trains = False
        for node in model.nodes_of(root, cst.Call):
            if isinstance(node.func, cst.Attribute) and model.code(node.func.value) == label:
                if node.func.attr.value == "eval" or (node.func.attr.value == "train" and node.args
                                                       and model.value(node.args[0].value, None) is False):
                    evals = evals or model.order(node) < start or id(node) in inside
                elif node.func.attr.value == "train":
                    trains = True
        return evals and not trains

    # -------------------------------------------------------------- trainers
    def _handed_over(self, refers) -> Iterator[Training]:
        """Trainings of a loader handed to a project trainer, of this file or imported:
        ``Trainer(model, loader).fit()``, ``trainer.fit(loader)``, ``train(model, loader)`` from another file."""
        model = self.model
        for site in model.calls:
            arg = next((a for a in site.node.args if not a.star and refers(a.value, site.scope)), None)
            if arg is None:
                continue
            call, scope, func = site.node, site.scope, site.node.func
            if isinstance(func, cst.Name):
                found = self._project_class(func.value, scope)
                if found is not None:  # Trainer(model, loader): the loops of its methods over self.<loader>
                    owner, info = found
                    ctor = bind_in(call, _init_params(info), scope, model)
                    stored = _init_stores(info)
                    held = next((attr for attr, param in stored.items() if ctor and param in ctor
                                 and ctor[param][0] is arg.value), None)
                    if held is None or ctor is None:
                        continue
                    for method in _reached(info, self._methods_called(call, scope, info)):
                        for source, trained in owner.analysis(TrainingDetection).loops_training(method):
                            if source == f"self:{held}":
                                yield from self._handed_training(trained, {}, ctor, stored)
                    continue
                if model.binding(func.value, scope) is None and func.value in model.imports:
                    found_fn = model.imported(model.imports[func.value], "def")
                    function = found_fn[0].functions.get(found_fn[1]) if found_fn is not None else None
                    if function is not None and found_fn[0] is not model:  # train(model, loader) of another file
                        env = bind_in(call, _params(function), scope, model)
                        yield from self._given(found_fn[0], function, env, arg, {}, {})
            elif isinstance(func, cst.Attribute):
                instance = self._instance(func.value, scope)  # trainer.fit(loader), Trainer(model).fit(loader)
                if instance is None:
                    continue
                owner, info, ctor_call, ctor_scope = instance
                method = info.methods.get(func.attr.value)
                if method is None:
                    continue
                env = bind_in(call, _params(method)[1:], scope, model)
                ctor = bind_in(ctor_call, _init_params(info), ctor_scope, model) or {}
                yield from self._given(owner, method, env, arg, ctor, _init_stores(info))

    def _given(self, owner: "FileModel", function: cst.FunctionDef, env: dict | None, arg: cst.Arg,
               ctor: dict, stored: dict[str, str]) -> Iterator[Training]:
        """The trainings of ``function`` (of ``owner``'s file) over the parameter that ``arg`` binds."""
        if env is None:
            return
        param = next((p for p, (v, _s) in env.items() if v is arg.value), None)
        if param is None:
            return
        for source, trained in owner.analysis(TrainingDetection).loops_training(function):
            if source == f"param:{param}":
                yield from self._handed_training(trained, env, ctor, stored)

    def _handed_training(self, trained: str, env: dict, ctor: dict, stored: dict[str, str]) -> Iterator[Training]:
        """The Training of the model a trainer's loop runs (``param:model`` or ``self:model``), as the
        caller's argument for it shows."""
        where, _, name = trained.partition(":")
        bound = env.get(name) if where == "param" else ctor.get(stored.get(name, ""))
        if bound is None:
            return
        found = self.models.kind(bound[0], bound[1])
        if found is not None:
            kind, ddp, label = found
            yield Training(None, label, kind, ddp)  # type: ignore[arg-type]  (the loop is in the trainer)

    def loops_training(self, function: cst.FunctionDef) -> list[tuple[str, str]]:
        """(loader, model) for the loops of ``function`` that train a model on batches of a loader it
        is given, each as ``param:<name>`` or ``self:<attribute>``, through the helpers of this file it calls
        however deep: ``function``'s summary, mapped at each call through its arguments (a recursive call
        sees none)."""
        cached = self._trainer_loops.get(function)
        if cached is not None:
            return cached
        self._trainer_loops[function] = []
        model = self.model
        found: list[tuple[str, str]] = []
        for node in walk(function.body):
            if isinstance(node, cst.For):
                source = self._given_ref(self.loops.iterated(node), model.scope_of(node), function)
                if source is None:
                    continue
                for expr, at in self.trained_calls(node):
                    trained = self._given_ref(expr, at, function)
                    if trained is not None and not self.set_to_eval(model.code(expr), node):
                        found.append((source, trained))
            elif isinstance(node, cst.Call):  # fit(loader) -> self._train_epoch(loader) -> self._step(batch)
                helper, params = self.loops.callee(node, model.scope_of(node))
                env = bind_in(node, params, model.scope_of(node), model) if helper is not None else None
                for source, trained in self.loops_training(helper) if env is not None else ():
                    mapped = [_map_ref(ref, env, model.scope_of(node), function, self) for ref in (source, trained)]
                    if None not in mapped:
                        found.append((mapped[0], mapped[1]))  # type: ignore[arg-type]
        self._trainer_loops[function] = found
        return found

    def _given_ref(self, expr: cst.BaseExpression, scope: "Scope", function: cst.FunctionDef) -> str | None:
        """``param:<name>`` for a parameter of ``function``, ``self:<attr>`` for ``self.<attr>``."""
        if isinstance(expr, cst.Name):
            found = param_of(expr.value, scope)
            return f"param:{expr.value}" if found is not None and found[1] is function else None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            return f"self:{expr.attr.value}"
        return None

    def _project_class(self, name: str, scope: "Scope") -> tuple["FileModel", "ClassInfo"] | None:
        """The class of this file, or imported from another project file, that ``name`` calls."""
        return None if self.model.binding(name, scope) is not None else project_class(self.model, cst.Name(name))

    def _instance(self, expr: cst.BaseExpression, scope: "Scope"):
        """(file, class, its construction, scope) for ``Trainer(...)``, or a name bound to it once."""
        bound = self.model.binding(expr.value, scope) if isinstance(expr, cst.Name) else (expr, scope)
        if bound is None:
            return None
        value = bound[0]
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)):
            return None
        found = self._project_class(value.func.value, bound[1])
        return (*found, value, bound[1]) if found is not None else None

    def _methods_called(self, call: cst.Call, scope: "Scope", info: "ClassInfo") -> set[str]:
        """The methods called on the instance ``call`` builds: ``Trainer(...).fit()``, or on the one name
        it is bound to (``trainer = Trainer(...)``, ``trainer.fit()``)."""
        model = self.model
        parent = model.parent(call)
        if isinstance(parent, cst.Attribute) and parent.value is call:
            return {parent.attr.value}
        if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name)):
            return set()
        name = parent.targets[0].target.value
        called = set()
        for site in model.calls:
            func = site.node.func
            if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == name
                    and func.attr.value in info.methods):
                bound = model.binding(name, site.scope)
                if bound is not None and bound[0] is call:
                    called.add(func.attr.value)
        return called
