"""Whether a model call is an evaluation, and whether a framework or decorator sets the mode there."""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.classes import stored_on_self

from bn_lint.semantic.modes.eval_data import eval_data_loop, eval_input
from bn_lint.semantic.modes.inference_runs import inference_run, run_after_training, spoiled_before_evaluation
from bn_lint.semantic.syntax.walk import walk
from .eval_names import eval_named, evaluator_class
from .element_runs import framework_missed_run
from .instrumented import hooks_before
from bn_lint.semantic.project.definitions import element_builder, project_class
from bn_lint.semantic.modes.framework_hooks import TRAIN, hook_of, known_mode_outside_steps, project_driven
from bn_lint.semantic.syntax.followed import entered
from .keys import _called_name, _unwrap_passthrough, key_of, key_root
from .known_calls import loads_weights
from .records import Site

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import ModeAnalysis
    from bn_lint.semantic.file.model import FileModel


_FRAMEWORK_PREFIXES = ("lightning", "pytorch_lightning", "transformers", "accelerate", "ignite")
_TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test)\.py$|(^|/)tests?/")
_SETS_MODE = re.compile(r"\.eval\(\s*\)|\.train\(\s*(?:mode\s*=\s*)?False\s*\)")
_LOADED_BY = re.compile(r"(^|\.)(load|from_pretrained|load_from_checkpoint|create_model)$|hub\.load")
_WEIGHT_LOADERS = ("load_state_dict", "load_weights", "load_pretrained", "from_pretrained")


class EvaluationDetection:
    """A part of the mode analysis (``analysis.evaluation``): why a model call is an evaluation, or is not one."""

    def __init__(self, analysis: "ModeAnalysis") -> None:
        self.analysis = analysis

    def is_test_file(self) -> bool:
        """``test_*.py``, ``*_test.py``, or a file under a ``test``/``tests`` folder of its project (the
        folders above the project's root do not count)."""
        path = os.path.abspath(self.analysis.model.path)
        if self.analysis.model.project is not None:
            relative = os.path.relpath(path, self.analysis.model.project.root_for(path))
            path = path if relative.startswith("..") else relative
        return bool(_TEST_FILE.search(path.replace("\\", "/")))

    def pytest_test(self, func: cst.FunctionDef) -> bool:
        """A pytest test: ``test*`` in a test file, at module level or in a class, and not called by the file's own
        code (a ``test_on_cloud(model, loader)`` that the training script calls is an evaluation function, whatever
        folder it sits in)."""
        name = func.name.value
        if not name.lower().startswith("test") or not self.is_test_file():
            return False
        scope = self.analysis.model.scopes.get(func)
        if scope is not None and scope.parent is not None and scope.parent.kind in ("function", "lambda"):
            return False  # (a function nested in another is never collected: the code around it runs it)
        if self.analysis._called_names is None:
            self.analysis._called_names = {_called_name(site.node.func) for site in self.analysis.model.calls}
        return name not in self.analysis._called_names

    def eval_reason(self, node: cst.CSTNode) -> str | None:
        """Why the call at ``node`` is an evaluation (None when it is not, or when a framework sets the mode)."""
        reason = self._evaluation(node)  # (first: the training-step test may parse other files)
        if reason is None or self.analysis.steps.in_training_step(node) or not self._may_evaluate(node):
            return None
        return reason

    def _evaluation(self, node: cst.CSTNode) -> str | None:
        """What makes the call at ``node`` look like an evaluation, before training steps and frameworks."""
        func = self.analysis.enclosing_function(node)
        if self.analysis.steps.volatile_input(node):
            return "given `Variable(..., volatile=True)` (gradients off, as under `torch.no_grad()`)"
        if node in self.analysis.no_grad_runs:
            return f"`{self.analysis.model.code(node.func)}()` runs it under its `@torch.no_grad()`"
        if self.analysis.steps.under_no_grad(node):
            return "under `torch.no_grad()`/`inference_mode()`"
        if self.analysis.output_reads.predicts(node) and not self.analysis.output_reads.dummy_input(node) and (func is None or not self.analysis.steps.trains(func)):
            return "its output goes to argmax (predictions), not to a backward pass"
        region = self.analysis.region(node)
        data = eval_data_loop(self.analysis.model, node) or (
            f"on a batch of `{eval_input(self.analysis.model, node, region)}`" if isinstance(region, (cst.For, cst.While))
            and eval_input(self.analysis.model, node, region) else None)
        if data is not None and not self.analysis.output_reads.dummy_input(node) and not (func is not None and self.pytest_test(func)):
            return data
        inference = inference_run(self.analysis, node) or spoiled_before_evaluation(self.analysis, node)
        if inference is not None:
            return inference
        after = run_after_training(self.analysis, node) if not self.analysis.output_reads.dummy_input(node) else None
        if after is not None:
            return after
        hooked = hooks_before(self.analysis.model, node, func) if func is not None and func.name.value not in (
            "forward", "__init__", "__call__") and not self.analysis.steps.trains(func) and not self.pytest_test(func) else None
        if hooked is not None:  # (what the hooks record is read: an inspection, ``instrumented``)
            return f"with the forward hooks registered at line {self.analysis.line(hooked)}, in `{func.name.value}()`, " \
                   "which trains nothing"
        if func is not None and not self.analysis.steps.trains(func) and not self.pytest_test(func):
            if self.analysis.output_reads.read_out(node):  # (random input included: a generator's noise, its samples collected as data)
                return f"its output is read out as data (`.numpy()`) in `{func.name.value}()`, which trains nothing"
            if self.analysis.output_reads.read_as_number(node) and not self.analysis.output_reads.tensor_handed_out(node) and not self.analysis.output_reads.dummy_input(node):
                return f"a loss or metric of its output is read out as a number (`.item()`) in " \
                       f"`{func.name.value}()`, which trains nothing and hands no tensor of it back"
            if not self.analysis.output_reads.dummy_input(node) and self.analysis.output_reads.visualised(node):
                return f"its output is made an image to look at in `{func.name.value}()`, which trains nothing"
        if func is not None and eval_named(func.name.value) and not self.analysis.output_reads.dummy_input(node) \
                and not self.pytest_test(func) and not self.analysis.steps.trains(func):
            return f"in `{func.name.value}()`"
        owner = self.analysis.model.enclosing_class(self.analysis.model.scope_of(node)) if func is not None else None
        if evaluator_class(owner, self.analysis.model.code) and func.name.value not in ("__init__", "forward") \
                and not self.analysis.output_reads.dummy_input(node) and not self.analysis.steps.trains(func):
            return f"in `{owner.name}.{func.name.value}()`"
        return None

    def _may_evaluate(self, node: cst.CSTNode) -> bool:
        """False for calls whose mode a framework sets, for shape probes (in ``__init__`` or not), for a
        module whose own ``forward`` runs a training step (test-time adaptation: ``Tent``), and where the
        function has turned BatchNorm's running statistics off (``bn.track_running_stats = False``:
        batch statistics on purpose)."""
        if self.framework_managed(node):
            return False
        func = self.analysis.enclosing_function(node)
        if func is not None and self._while_built(func) and not _given_to_init(self.analysis, node, func):
            return False  # a model called while it is built: a shape probe
        if self._forward_trains(node) or self._running_stats_off(node) or self.fresh_in_test(node):
            return False
        # (a shape probe of a model with trained weights that is evaluated next spoils that evaluation)
        return not self.analysis.output_reads.shape_probe(node) or spoiled_before_evaluation(self.analysis, node) is not None

    def _while_built(self, func: cst.FunctionDef) -> bool:
        """``__init__``, or a method of its class that only ``__init__`` calls (``self._flat_size()``, a
        shape probe run while the module is built)."""
        if func.name.value == "__init__":
            return True
        info = self.analysis.model.class_of_method(func)
        init = info.methods.get("__init__") if info is not None else None
        if init is None or info.methods.get(func.name.value) is not func:
            return False
        callers = [site for site in self.analysis.model.calls if isinstance(site.node.func, cst.Attribute)
                   and site.node.func.attr.value == func.name.value  # (not `self.x()` of another class of the file)
                   and not (_on_self(site.node) and self.analysis.model.enclosing_class(site.scope) is not info)]
        return bool(callers) and all(_on_self(site.node) and self.analysis.enclosing_function(site.node) is init
                                     for site in callers)

    def _test_code(self, func: cst.FunctionDef) -> bool:
        """A pytest test, or a helper only pytest tests of its file call (``_test_model_forward``)."""
        if self.pytest_test(func):
            return True
        callers = [site for site in self.analysis.model.calls
                   if isinstance(site.node.func, cst.Name) and site.node.func.value == func.name.value]
        return bool(callers) and all((caller := self.analysis.enclosing_function(site.node)) is not None
                                     and caller is not func and self.pytest_test(caller) for site in callers)

    def fresh_in_test(self, node: cst.CSTNode) -> bool:
        """In a test file, a model built by the function that runs it and given no weights there
        (``model = HPFNet(4).cuda(); model(torch.randn(...))``): a test of the model's code, whose
        statistics nothing keeps, not an evaluation (RULES.md, Evidence: deliberate choices)."""
        func = self.analysis.enclosing_function(node)
        if func is None or not isinstance(node, cst.Call) or not isinstance(node.func, cst.Name) \
                or not self.is_test_file() or not self._test_code(func):
            return False
        name = node.func.value
        bound = self.analysis.model.binding(name, self.analysis.model.scope_of(node))
        built = _unwrap_passthrough(bound[0]) if bound is not None else None
        if not isinstance(built, cst.Call) or self.analysis.enclosing_function(built) is not func \
                or loads_weights(built.func) or _LOADED_BY.search(self.analysis.model.code(built.func)):
            return False
        return not any(isinstance(call.func, cst.Attribute) and call.func.attr.value in _WEIGHT_LOADERS
                       and isinstance(call.func.value, cst.Name) and call.func.value.value == name
                       for call in self.analysis.model.nodes_of(func, cst.Call))

    def _forward_trains(self, node: cst.CSTNode) -> bool:
        """``tented(x)`` with ``tented = Tent(model, optimizer)``, a class of this file whose ``forward``
        runs a training step."""
        if not isinstance(node, cst.Call):
            return False
        func = node.func
        info = self.analysis.callees.attribute_class(func, node)
        if info is None and isinstance(func, cst.Name):
            bound = self.analysis.model.binding(func.value, self.analysis.model.scope_of(node))
            value = _unwrap_passthrough(bound[0]) if bound is not None else None
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) \
                    and self.analysis.model.binding(value.func.value, None) is None:
                info = self.analysis.model.classes.get(value.func.value)
        forward = info.methods.get("forward") if info is not None else None
        return forward is not None and self.analysis.steps.trains(forward)

    def _running_stats_off(self, node: cst.CSTNode) -> bool:
        """An assignment ``<x>.track_running_stats = False`` earlier in the function around ``node``."""
        func = self.analysis.enclosing_function(node)
        if func is None:
            return False
        for assign in self.analysis.model.nodes_of(func, cst.Assign):
            if self.analysis.order(assign) < self.analysis.order(node) and isinstance(assign.value, cst.Name) \
                    and assign.value.value == "False" and any(
                        isinstance(t.target, cst.Attribute) and t.target.attr.value == "track_running_stats"
                        for t in assign.targets):
                return True
        return False

    def path_eval(self, node: cst.CSTNode) -> tuple[Site, str] | None:
        """The use at ``node`` on the paths where it evaluates (see ``path_evals``), and why."""
        found = self.analysis.path_evals.get(node)
        return found if found is not None and self._may_evaluate(node) else None

    def framework_managed(self, node: cst.CSTNode) -> bool:
        """Whether something outside the code at ``node`` sets the mode there: a framework's class or
        trainer, or a decorator that switches the mode around the call."""
        if self._hook_module_use(node) or self._hook_method_use(node):
            return False  # (the framework's mode there is known: `framework_hooks`)
        func = self.analysis.enclosing_function(node)  # (no registered part, or a method the project itself drives)
        plain = framework_missed_run(self.analysis.model, node, func) or func is not None and project_driven(self.analysis.model, func)
        for ancestor in self.analysis.model.ancestors(node):
            if isinstance(ancestor, cst.ClassDef) and not plain:
                info = self.analysis.model.classes.get(ancestor.name.value)
                if info is not None and self.framework_class(info):
                    return True
            if isinstance(ancestor, cst.FunctionDef) and (self._mentions_trainer(ancestor)
                                                           or self.mode_decorated(ancestor)):
                return True
        return False

    def _hook_module_use(self, node: cst.CSTNode) -> bool:
        """A call, in a framework's hook (``framework_hooks``), of the module the framework gives the hook."""
        func = self.analysis.enclosing_function(node)
        found = hook_of(self.analysis.model, func) if func is not None and isinstance(node, cst.Call) else None
        if found is None or found[0].method.endswith("_step") and found[0].mode == TRAIN and not any(
                self.analysis.steps.no_grad_expr(d.decorator) for d in func.decorators):
            return False  # (a training step runs the module as the framework's loop does, unless no_grad throughout)
        key = key_of(node.func)  # (`pl_module(x)`, `self.net(x)`)
        return key is not None and key_root(key) == found[1] and not self.mode_decorated(func)

    def _hook_method_use(self, node: cst.CSTNode) -> bool:
        """A call of a part of ``self`` in a plain method of a framework module that only hooks of known mode
        call, through the class's own methods (``framework_hooks.hooks_reaching``): ``evaluate()`` called from
        ``training_epoch_end`` runs in training mode. Not one a training step reaches (it runs the module as the
        framework's loop does: a shared step, a teacher's run), nor under a decorator that sets a mode."""
        func = self.analysis.enclosing_function(node)
        key = key_of(node.func) if func is not None and isinstance(node, cst.Call) else None
        if key is None or key_root(key) != "self" or "." not in key or hook_of(self.analysis.model, func) is not None:
            return False
        return known_mode_outside_steps(self.analysis.model, func) and not self.mode_decorated(func)

    def mode_decorated(self, func: cst.FunctionDef) -> bool:
        """``@eval_mode``-style decorators: one named for evaluation or inference, or a project function
        whose code sets a mode (its wrapper calls ``model.eval()`` around the decorated function)."""
        if func not in self.analysis._decorated:
            self.analysis._decorated[func] = self._sets_mode_around(func)
        return self.analysis._decorated[func]

    def _sets_mode_around(self, func: cst.FunctionDef) -> bool:
        model = self.analysis.model
        for decorator in func.decorators:
            if self.analysis.steps.no_grad_expr(decorator.decorator):
                continue
            expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            name = model.code(expr).rpartition(".")[2].lower()
            if "eval" in name or "inference" in name:
                return True
            defined: tuple[FileModel, cst.FunctionDef] | None = None
            if isinstance(expr, cst.Name) and expr.value in model.functions:
                defined = model, model.functions[expr.value]
            elif model.code(expr) in model.imports or (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
                                                       and expr.value.value in model.imports):
                head, _, tail = model.code(expr).partition(".")
                found = model.imported(model.imports[head] + (f".{tail}" if tail else ""), "def")
                if found is not None and found[1] in found[0].functions:
                    defined = found[0], found[0].functions[found[1]]
            if defined is not None and _SETS_MODE.search(defined[0].code(defined[1])):
                return True
        return False

    def _mentions_trainer(self, func: cst.FunctionDef) -> bool:
        """A ``trainer`` name in the function: a framework drives the model's mode there. Not the name of a
        project function called there (``optimizer, scheduler = prepare_trainer(net, ...)``): what it gives
        back, when a framework's trainer, is named where it is kept."""
        found = self.analysis._trainer_functions.get(func)
        if found is None:
            found = self.analysis._trainer_functions[func] = any(
                isinstance(n, cst.Name) and "trainer" in n.value.lower() and not _own_function_called(self.analysis.model, n)
                and not self._project_trainer(n) for n in walk(func.body)
            )
        return found

    def _project_trainer(self, name: cst.Name) -> bool:
        """A ``trainer`` the project's own code shows: a project class named (``Trainer(model, ...)``), a variable
        every binding of which builds a project class, or ``self.trainer`` of a plain class that never builds it (a
        hook the project's trainer hands itself to: ``hook.trainer = self``) or builds it from project code, or a
        parameter in a file that imports no training framework. Its modes are the code's to show, not a framework's."""
        model = self.analysis.model
        parent = model.parent(name)
        scope = model.scope_of(name)
        if isinstance(parent, cst.Attribute) and parent.attr is name:
            if not (isinstance(parent.value, cst.Name) and parent.value.value == "self"):
                return project_class(model, parent) is not None  # (`trainer.Trainer`: a class of the project)
            info = model.enclosing_class(scope)
            if info is None or self.framework_class(info):
                return False
            values = [value for value, _ in info.attributes.get(name.value, [])]
        elif model.binding(name.value, scope) is None and _project_class_or_module(model, name, parent):
            return True  # (`Trainer(model, loader)`: the class itself; `trainer.Physnet(cfg)`: a project module)
        else:
            bound = model.bindings(name.value, scope)
            values = list(bound[0]) if bound is not None else []
            if not values:  # (a parameter: a framework's where the file imports one, `def on_fit_end(trainer, module)`)
                return not any(dotted.startswith(_FRAMEWORK_PREFIXES) for dotted in model.imports.values())
        return all(isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute))
                   and project_class(model, value.func) is not None for value in values)

    def framework_class(self, info, following: frozenset = frozenset(), model: "FileModel | None" = None) -> bool:
        """A class of a framework that sets its model's mode (a Lightning module, a library ``Trainer`` or
        ``Callback``), or one derived from such a class. A project's own ``BaseTrainer`` is judged by
        its bases, not by its name (however many: each class once)."""
        model = model or self.analysis.model
        following = entered(following, id(info.node))
        if following is None:
            return False
        for base in info.bases:
            own = project_class(model, base)
            if own is not None:
                if self.framework_class(own[1], following, own[0]):
                    return True
                continue
            qn = model.qualname(base) or ""
            text = model.code(base)
            if qn.startswith(_FRAMEWORK_PREFIXES) or "Lightning" in text or text.endswith(("Callback", "Trainer")):
                return True
        return False


def _own_function_called(model: "FileModel", name: cst.Name) -> bool:
    """Whether ``name`` is called there and names a function of the project (this file's, or one it imports
    from a project file)."""
    parent = model.parent(name)
    return isinstance(parent, cst.Call) and parent.func is name \
        and element_builder(model, name, model.scope_of(name)) is not None


def _project_class_or_module(model: "FileModel", name: cst.Name, parent: cst.CSTNode | None) -> bool:
    """Whether ``name`` is a project class, or an imported module of the project whose attribute is read
    (``import trainer``; ``trainer.PhysnetTrainer``)."""
    if project_class(model, name) is not None:
        return True
    dotted = model.imports.get(name.value) if isinstance(parent, cst.Attribute) and parent.value is name else None
    return dotted is not None and model.project is not None and model.project.resolve_module(dotted, model.path) is not None


def _on_self(call: cst.Call) -> bool:
    """``self.method(...)``."""
    return isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name) and call.func.value.value == "self"


def _given_to_init(analysis, node: cst.CSTNode, func: cst.FunctionDef) -> bool:
    """Whether the module run at ``node`` (in ``__init__`` or a method only it calls) is one ``__init__`` is
    given, not one it builds: a parameter, or ``self.model`` stored from one (``Tree(board, model=net)`` whose
    ``__init__`` runs ``net`` to score the root: a run of the caller's model, not a shape probe of its own)."""
    site = analysis.uses.get(node)
    info = analysis.model.class_of_method(func)
    init = info.methods.get("__init__") if info is not None else None
    if site is None or init is None:
        return False
    root, _, rest = site.key.partition(".")
    params = {p.name.value for p in init.params.params[1:]} | {p.name.value for p in init.params.kwonly_params}
    if root != "self":
        return func is init and root in params
    return bool(rest) and any(attribute == rest.split(".")[0] and param in params
                              for attribute, param in stored_on_self(init))
