"""Which functions of a file the mode flow runs (its candidates), and calls whose own text or whose callee's text
makes them a run or a step the flow needs: read from the code, and from other files' text without parsing them."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.repository_search import TAKES_STEP, picks_stepping_module, no_grad_method
from bn_lint.semantic.file.project_imports import outside_project
from bn_lint.semantic.knowledge.model_runners import probe_site
from bn_lint.semantic.modes.inference_runs import pretrained_build
from .entry import implicit_globals
from .eval_names import eval_named, evaluator_class
from .keys import _called_name, _in_function
from .weight_loaders import gives_weights_by_helper
from .known_calls import EXPORT_METHODS, RUN_METHOD, _EXPORTS, _NO_GRAD, gives_weights, loads_own_weights
from .output_reads import IMAGE_SINKS, IMAGE_METHODS
from .training_steps import _TRAIN_NAME

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import ModeAnalysis
    from bn_lint.semantic.file.model import FileModel, Scope

# method calls that make a file worth the flow analysis
_CANDIDATE_METHODS = frozenset({"eval", "train", "requires_grad_", "backward", "manual_backward", "step", "load_state_dict"})
# in the own text of another file's function: a mode switch, or gradients turned off around a run of what it is given
# (a helper evaluation: ``get_mask(model, img)``) (``_imported_helper_candidate``; a step is read in its file)
_SWITCHES_MODE = re.compile(r"\.\s*(?:eval|train)\s*\(")
_GRADIENTS_OFF = re.compile(r"\b(?:no_grad|inference_mode)\b")
_PARAMS = re.compile(r"def\s+\w+\s*\(([^)]*)\)")
# forward hooks: a function registering them may run the model for what they record (``instrumented``)
_HOOKS = frozenset({"register_forward_hook", "register_forward_pre_hook"})
_READ_OUT = frozenset({"numpy", "tolist"})  # an output read out as data (``OutputReads.read_out``)
_PREDICTIONS = frozenset({"argmax", "topk"})  # (and ``torch.max(out, 1)``): an output read as predictions
# a builder named for loading a model (`DeepSpeech.load_model(path)`, `load_network(opt)`): what it returns may
# carry trained weights (an inference run, `inference_runs._built_loaded`)
_LOADS_MODEL = re.compile(r"(?i)(?:load|restore)_?\w*(?:model|net|network)s?")
# a class's own loaders (`Localiser.load(run, ckpt)`); a framework's train-mode constructors are `pretrained_build`'s
_CLASS_LOADERS = frozenset({"load", "restore", "from_checkpoint"})


def _class_loader(func: cst.BaseExpression) -> bool:
    """``Localiser.load(run, checkpoint)``: a loader called on a class (a capitalised name), which may build the model
    with trained weights (``inference_runs._built_loaded`` reads it)."""
    return isinstance(func, cst.Attribute) and func.attr.value in _CLASS_LOADERS and isinstance(func.value, cst.Name) \
        and func.value.value[:1].isupper()


def _steps(model: "FileModel", scope: "Scope | None") -> bool:
    """Whether the function of ``scope`` (the module at the top) shows a training step in its text: a
    ``.item()`` read there is a training loss logged, not a loss or metric read out (``read_as_number``)."""
    node = scope.node if scope is not None and isinstance(scope.node, cst.FunctionDef) else model.module
    code = model.code(node)
    return "backward" in code or ".step(" in code


def candidate_functions(analysis: "ModeAnalysis") -> set[cst.CSTNode] | None:
    """The functions whose flow a BN1xx rule may need: those holding a no-grad region, a mode switch,
    an export, a freeze or a training step, eval-like ones, and their callers however far up (which pass
    the model's mode in). None when the file holds no such thing (the flow analysis is skipped).
    Sets ``_module_level_candidate`` when module-level code holds such a site or calls such a function
    (otherwise the module's own flow is skipped)."""
    model = analysis.model
    found: set[cst.CSTNode] = set()
    any_candidate = pretrained_global = False

    def mark(scope: "Scope | None") -> None:
        if not _in_function(scope):
            analysis._module_level_candidate = True
        while scope is not None:
            if isinstance(scope.node, cst.FunctionDef):
                found.add(scope.node)
            scope = scope.parent

    for site in model.calls:
        func = site.node.func
        name = _called_name(func)
        qn = model.qualname(func)
        if (name in _CANDIDATE_METHODS or loads_own_weights(name) or _TRAIN_NAME.search(name) or qn in _NO_GRAD or qn in _EXPORTS or qn == "torch.jit.script" or name in EXPORT_METHODS
                or qn == "torch.set_grad_enabled" or name in _PREDICTIONS or qn == "torch.max"
                or name in _READ_OUT or qn in IMAGE_SINKS or name in IMAGE_METHODS
                or name == "item" and not _steps(model, site.scope)
                or analysis.steps.volatile_input(site.node) or gives_weights(site.node, qn)
                or name in _HOOKS or _LOADS_MODEL.fullmatch(name) or _class_loader(func) or probe_site(qn, site.node)
                or gives_weights_by_helper(model, site.node, site.scope)):
            any_candidate = True
            mark(site.scope)
            if loads_own_weights(name) and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Attribute) \
                    and isinstance(func.value.value, cst.Name) and func.value.value.value == "self":
                # (`self.model.load_state_dict(...)` in a predictor: its methods that run the model)
                info = model.enclosing_class(site.scope)
                for method in info.methods.values() if info is not None else ():
                    mark(model.scopes.get(method))
        elif _imported_helper_candidate(analysis, site.node) or no_grad_method_run(analysis, site.node):
            # (`adversarial_epoch(gen, disc, ...)` of steps.py; `net.predict(s)` of a `@torch.no_grad()` method)
            any_candidate = True
            mark(site.scope)
        elif pretrained_build(model, site.node):  # (an inference script: a pretrained model, run by its functions)
            any_candidate = True
            mark(site.scope)
            info = model.enclosing_class(site.scope)
            if info is not None and not model.is_nn_module_class(info):
                for method in info.methods.values():  # (a feature extractor holding it: the methods that run it)
                    mark(model.scopes.get(method))
            pretrained_global = pretrained_global or not _in_function(site.scope)
    for func in model.functions.values() if pretrained_global else ():
        if implicit_globals(analysis, func):  # (the functions that read a module-level pretrained model)
            mark(model.scopes.get(func))
    for attribute, _value, scope in model.attribute_assignments:
        if attribute.attr.value in ("requires_grad", "training"):
            any_candidate = True
            mark(scope)
    for node, scope in model.scopes.items():
        if isinstance(node, cst.FunctionDef) and (
            eval_named(node.name.value)
            or any(analysis.steps.no_grad_expr(d.decorator) for d in node.decorators)
            or scope.parent is not None and evaluator_class(model.enclosing_class(scope.parent), model.code)
        ):
            any_candidate = True
            mark(scope)
    if not any_candidate:
        return None
    names: set[str] = set()
    while True:  # (their callers, and theirs, however far up: each passes the model's mode in)
        grown = {node.name.value for node in found if isinstance(node, cst.FunctionDef)}
        if grown == names:
            return found
        names = grown
        for site in model.calls:
            if _called_name(site.node.func) in names:
                mark(site.scope)

def _imported_helper_candidate(analysis: "ModeAnalysis", call: cst.Call) -> bool:
    """Whether ``call`` runs a function or class of another project file whose file takes a training step, or a
    function whose own text switches a mode or turns gradients off (read from the text, without parsing that
    file): the flow around the call may need it."""
    project, root = analysis.model.project, call.func
    while isinstance(root, cst.Attribute):
        root = root.value
    if project is None or not isinstance(root, cst.Name) or root.value not in analysis.model.imports \
            or outside_project(analysis.model.imports[root.value]):
        return False  # (not a name imported into this file from a project module: `print(...)`, `nn.Conv2d(...)`)
    where = analysis.callees.imported_callee(call)
    if where is not None:  # (its file takes a step, itself or through a helper there; or it switches a mode)
        return project.matches(where[0], TAKES_STEP) or picks_stepping_module(project, where[0]) or any(
            _SWITCHES_MODE.search(body) or _runs_given_without_gradients(body)
            for body in project.function_bodies(*where) or ())
    if isinstance(call.func, cst.Name):  # (a class: `Trainer(model, opt)`, then its `.run()`)
        where = analysis.model.imported_path(analysis.model.imports[root.value], "class")
    return where is not None and project.matches(where[0], TAKES_STEP)

def _runs_given_without_gradients(body: str) -> bool:
    """Whether a function's text turns gradients off and calls one of its parameters (``def get_mask(model, img):
    with torch.no_grad(): return model(img)``: it evaluates what it is given), read without parsing it."""
    params = _PARAMS.match(body.lstrip())
    names = [p.split("=")[0].split(":")[0].strip(" *") for p in params.group(1).split(",")] if params else []
    names = [n for n in names if n and n not in ("self", "cls")]
    return bool(names) and _GRADIENTS_OFF.search(body) is not None and re.search(
        r"(?<![\w.])(?:" + "|".join(map(re.escape, names)) + r")\s*\(", body[params.end():]) is not None


def no_grad_method_run(analysis: "ModeAnalysis", call: cst.Call) -> bool:
    """``net.predict(s)``: a call of a run-like method on a name, with a method of that name decorated
    ``@torch.no_grad()`` in this file or a project file it imports (read from the text)."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value != "self"
            and RUN_METHOD.fullmatch(func.attr.value)):
        return False
    pattern = re.compile(no_grad_method(re.escape(func.attr.value)))
    project = analysis.model.project
    return bool(pattern.search(analysis.model.source)) or project is not None and any(
        project.matches(path, pattern.pattern.encode()) for path in analysis.model.imported_project_paths)
