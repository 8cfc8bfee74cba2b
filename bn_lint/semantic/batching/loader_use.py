"""Which DataLoaders may train a BatchNorm model when the code does not show it for certain.

``BatchAnalysis`` knows a loader trains a model when a loop over it runs a model of
known kind with a training step. Real code often hides one end: the loop trains a
model passed in as a parameter (its class unknown), or the file only builds and
returns the loaders (``make_loaders(...)``) or packs them in a dict for a trainer
elsewhere. Following the evidence policy (RULES.md), ``guess_training`` takes:

- a loop over the loader with a training step that runs a model of unknown class,
  not put in eval mode (directly, through a freezing helper, or by its class);
- a loader no loop of the file iterates whose role is training: its name (or its
  dataset's) says so (``train_loader``, ``trn_dataset``, ``supervised_loader``), or
  it shuffles and nothing names it for evaluation;

and says the model may hold BatchNorm when the project builds BatchNorm layers.
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.batching.facts import _is_train_split, _literal_strings
from bn_lint.semantic.file.records import param_of
from bn_lint.semantic.batching.trainings import TrainingDetection
from bn_lint.semantic.batching.loader_loops import LoaderLoops
from bn_lint.semantic.batching.model_resolution import ModelResolution
from bn_lint.semantic.batching.one_sample import names_read
from bn_lint.semantic.nn_modules.bearing import ModelKind, model_kind
from bn_lint.semantic.nn_modules.run_time_classes import builds_run_time_class
from bn_lint.semantic.project.returns import moved
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.batching.facts import Loader
    from bn_lint.semantic.batching.analysis import BatchAnalysis
    from bn_lint.semantic.file.model import FileModel, Scope

# words (split on `_`, digits and camelCase) that name a split
_EVAL_WORDS = frozenset({
    "val", "valid", "validation", "validate", "test", "testing", "tst", "eval", "evaluation", "evaluate", "dev",
    "infer", "inference", "predict", "prediction", "pred", "query", "gallery", "calib", "calibration", "holdout",
    "score", "scoring", "vis", "visual", "visualize", "viz", "demo", "sample", "samples", "plot", "show", "debug",
    "check", "probe", "feature", "features", "extract", "embed", "embedding", "memory", "bank", "stats", "mean",
    "std", "norm", "full", "all", "export", "onnx", "trace", "warmup", "profile", "bench", "benchmark", "metric",
})
_TRAIN_WORDS = frozenset({"train", "training", "trn", "tr", "trainset", "traindata", "supervised", "sup", "labeled",
                          "labelled", "unlabeled", "unlabelled", "unsup", "unsupervised", "fit"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


@dataclass(frozen=True)
class Guess:
    """A loader taken for a training loader of a model that may hold BatchNorm."""

    label: str  # the model, as a message names it
    how: str  # why the loader is taken for a training loader (for messages)
    certain: bool = False  # a loop of the file trains a model known to hold BatchNorm
    seen: bool = False  # a loop that trains on the loader is in the function that builds it (its names then say
    # nothing: `memory_loader` in a loop stepping an optimizer)


def words(text: str) -> set[str]:
    """``train_loader`` -> {train, loader}; ``trnDataset`` -> {trn, dataset}."""
    return {w.lower() for w in _WORD.findall(text)}


def guess_training(analysis: "BatchAnalysis", loader: "Loader") -> Guess | None:
    """The model ``loader`` may train when it holds BatchNorm, or None (see the module docstring)."""
    training = loader.bn_training
    if training is not None:
        if training.loop is not None and _frozen_by_helper(analysis, training.label, training.loop):
            return None  # `freeze_bn(model)` before the loop: its BatchNorm layers use running statistics
        return Guess(training.label, "", certain=True, seen=_beside(analysis, loader, training.loop))
    model = analysis.model
    if loader.trains:
        kinds = {t.kind for t in loader.trains}
        if kinds == {ModelKind.MAYBE} and builds_batchnorm(model):
            return Guess(loader.trains[0].label, "a model of unknown class")
        return None
    loops = list(_loops(analysis, loader))
    if loops:
        for loop in loops:
            label = _bare_batchnorm(analysis, loop)
            if label is not None:
                return Guess(label, f"its loop at line {model.line_of(loop)} runs BatchNorm `{label}` in training mode",
                             certain=True, seen=_beside(analysis, loader, loop))
            label = _unknown_trained(analysis, loop)
            if label is not None and builds_batchnorm(model):
                return Guess(label, f"its loop at line {model.line_of(loop)} trains `{label}`, of unknown class",
                             seen=_beside(analysis, loader, loop))
        return None
    role = training_role(analysis, loader) if _escapes(analysis, loader) else None
    if role is not None and (builds_batchnorm(model) or any(builds_batchnorm(c) for c in consumers(analysis, loader))):
        return Guess("the model", role)
    return None


def consumers(analysis: "BatchAnalysis", loader: "Loader") -> list["FileModel"]:
    """The project files that call the module-level function returning ``loader`` (``train_loader, val_loader =
    get_loaders()`` in a main script): the loader's user, where the model it trains is built or imported."""
    model = analysis.model
    function = loader.scope.node
    project = model.project
    if project is None or not isinstance(function, cst.FunctionDef) \
            or model.functions.get(function.name.value) is not function:
        return []
    cache = _CACHE.setdefault(model, {})
    key = ("consumers", function.name.value)
    if key not in cache:
        from bn_lint.semantic.project.callers import caller_model, calling_files

        paths = []
        for path in calling_files(model, function.name.value):
            paths.append(path)
            if len(paths) > 4:  # (a helper many files call: not one script's loaders, and parsing them all costs)
                paths = []
                break
        cache[key] = [other for other in (caller_model(model, path) for path in paths)
                      if other is not None and other is not model]
    return cache[key]


def _beside(analysis: "BatchAnalysis", loader: "Loader", loop: cst.CSTNode | None) -> bool:
    """Whether ``loop`` (a loop that trains on the loader) is in the function that builds the loader: training
    in view there, not a helper shared by a training and an evaluation split (``run_epoch(model, val, None)``)."""
    model = analysis.model
    return loop is not None and model.scope_of(loop).node is model.scope_of(loader.call).node


def named_for_evaluation(analysis: "BatchAnalysis", loader: "Loader") -> bool:
    """Whether the loader's names (or its dataset's) name an evaluation split: ``val_loader``,
    ``DataLoader(Clips(args.val))``, ``calib_loader`` (not an entry of a dict of loaders by split
    that has a training split)."""
    splits = _split_keys(analysis, loader)
    if splits is not None:
        return not any(_is_train_split(key) for key in splits)
    return bool(set().union(*(words(n) for n in _names(analysis, loader))) & _EVAL_WORDS)


def _split_keys(analysis: "BatchAnalysis", loader: "Loader") -> list[str] | None:
    """The keys of the dict of loaders by split the loader is built in: ``{x: DataLoader(...) for x in
    ["train", "val"]}``; None for a loader built elsewhere."""
    parent = analysis.model.parent(loader.call)
    if isinstance(parent, cst.DictComp) and parent.value is loader.call:
        return _literal_strings(parent.for_in.iter)
    return None


def training_role(analysis: "BatchAnalysis", loader: "Loader") -> str | None:
    """Why a loader no loop of the file iterates is a training loader (its names, its shuffling), or None."""
    model = analysis.model
    splits = _split_keys(analysis, loader)
    if splits is not None:
        train = next((key for key in splits if _is_train_split(key)), None)
        return f"its '{train}' entry of a dict of loaders by split" if train is not None else None
    names = _names(analysis, loader)
    said = set().union(*(words(n) for n in names)) if names else set()
    if said & _EVAL_WORDS:
        return None
    shown = next((n for n in names if words(n) & _TRAIN_WORDS), None)
    if shown is not None:
        return f"`{shown}` names a training split"
    shuffle = next((a for a in loader.call.args if a.keyword is not None and a.keyword.value == "shuffle"), None)
    if shuffle is not None and model.value(shuffle.value, loader.scope) is True:
        return "it shuffles its samples"
    return None


def _escapes(analysis: "BatchAnalysis", loader: "Loader") -> bool:
    """Whether the loader leaves what this file shows: returned, packed in a container or an attribute,
    handed to code outside the project, or never used here. A loader only used by this project's own
    functions and classes (or builtins) is judged by what they do with it."""
    model = analysis.model
    call = loader.call
    parent = model.parent(call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
        name = parent.targets[0].target.value
        uses = [node for node in model.nodes_of(loader.scope.node, cst.Name) if node.value == name
                and not any(node is t.target for t in parent.targets)
                and (model.binding(name, model.scope_of(node)) or (None,))[0] is call]
        return not uses or any(_escaping_use(analysis, use) for use in uses)
    return _escaping_use(analysis, call)


def _escaping_use(analysis: "BatchAnalysis", node: cst.CSTNode) -> bool:
    model = analysis.model
    parent = model.parent(node)
    if isinstance(parent, (cst.Element, cst.Tuple, cst.List, cst.Set, cst.DictElement, cst.Dict, cst.DictComp,
                           cst.ListComp, cst.GeneratorExp, cst.SetComp)):
        return True
    if isinstance(parent, (cst.Return, cst.Assign, cst.AnnAssign)):
        return True
    if isinstance(parent, cst.Arg):
        outer = model.parent(parent)
        if not isinstance(outer, cst.Call):
            return True
        return not _project_callee(analysis, outer)
    return False


def _project_callee(analysis: "BatchAnalysis", call: cst.Call) -> bool:
    """A call of this project's code (a function, method or class of this file or an imported project
    file), or of a builtin: what it does with its arguments is what the file shows."""
    from bn_lint.semantic.nn_modules.bearing import project_class

    model = analysis.model
    func = call.func
    if isinstance(func, cst.Name):
        if func.value in _BUILTINS or func.value in model.functions or func.value in model.classes:
            return True
        if func.value in model.imports:
            return model.imported_path(model.imports[func.value]) is not None or project_class(model, func) is not None
        return False
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        if func.value.value == "self":
            return True
        bound = model.binding(func.value.value, model.scope_of(call))
        value = bound[0] if bound is not None else None
        return isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and _project_callee(analysis, value)
    return False


_BUILTINS = frozenset({"iter", "next", "len", "enumerate", "print", "list", "tuple", "zip", "sorted", "isinstance",
                       "type", "id", "repr", "str", "range", "map", "filter", "vars", "getattr", "hasattr"})


def _names(analysis: "BatchAnalysis", loader: "Loader") -> list[str]:
    """The names a loader goes by: the variable, attribute, dict key or keyword it is stored under, and
    its dataset's name."""
    model = analysis.model
    call = loader.call
    found: list[str] = []
    parent = model.parent(call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, cst.Name):
            found.append(target.value)
        elif isinstance(target, cst.Attribute):
            found.append(target.attr.value)
        elif isinstance(target, cst.Subscript) and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
            key = model.value(target.slice[0].slice.value, loader.scope)
            if isinstance(key, str):
                found.append(key)
    elif isinstance(parent, cst.DictElement):
        key = model.value(parent.key, loader.scope)
        if isinstance(key, str):
            found.append(key)
    elif isinstance(parent, cst.Arg) and parent.keyword is not None:
        found.append(parent.keyword.value)
    elif isinstance(parent, cst.Return):
        function = loader.scope.node
        if isinstance(function, cst.FunctionDef):
            found.append(function.name.value)
    dataset = call.args[0].value if call.args and call.args[0].keyword is None else next(
        (a.value for a in call.args if a.keyword is not None and a.keyword.value == "dataset"), None)
    if isinstance(dataset, cst.Name):
        found.append(dataset.value)
    elif isinstance(dataset, cst.Attribute):
        found.append(dataset.attr.value)
    elif isinstance(dataset, cst.Call) and isinstance(dataset.func, (cst.Name, cst.Attribute)):
        for arg in dataset.args:  # `MyDataset(split="train")`, `ImageFolder(train_dir)`
            value = model.value(arg.value, loader.scope)
            if isinstance(value, str):
                found.append(value)
            elif isinstance(arg.value, cst.Name):
                found.append(arg.value.value)
            elif isinstance(arg.value, cst.Attribute):  # `Clips(args.val)`
                found.append(arg.value.attr.value)
            if arg.keyword is not None and arg.keyword.value == "train":
                flag = model.value(arg.value, loader.scope)
                if flag is True:
                    found.append("train")
                elif flag is False:
                    found.append("test")
    return found


def skips_batch_of_one(analysis: "BatchAnalysis", loader: "Loader") -> bool:
    """Whether a loop of the file over the loader tests its batch's size against one (``if len(points) != 1:``,
    ``if x.size(0) == 1: continue``): it keeps a batch of one sample away from the model itself."""
    return any(_tests_one_sample(node) for loop in _loops(analysis, loader)
               for node in walk(loop.body) if isinstance(node, cst.Comparison))


def _tests_one_sample(test: cst.Comparison) -> bool:
    if len(test.comparisons) != 1:
        return False
    left, right = test.left, test.comparisons[0].comparator
    if isinstance(left, cst.Integer):
        left, right = right, left
    return isinstance(right, cst.Integer) and right.value in ("1", "2") and _batch_size_of(left)


def _batch_size_of(expr: cst.BaseExpression) -> bool:
    """``len(x)``, ``x.size(0)``, ``x.shape[0]``, ``x.size()[0]``."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "len":
        return len(expr.args) == 1
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "size":
        return len(expr.args) == 1 and isinstance(expr.args[0].value, cst.Integer) and expr.args[0].value.value == "0"
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        index = expr.slice[0].slice.value
        base = expr.value
        return isinstance(index, cst.Integer) and index.value == "0" and (
            isinstance(base, cst.Attribute) and base.attr.value == "shape"
            or isinstance(base, cst.Call) and isinstance(base.func, cst.Attribute) and base.func.attr.value == "size")
    return False


def _loops(analysis: "BatchAnalysis", loader: "Loader"):
    """The loops of the file over the loader (directly, or in a function of the file it is handed to)."""
    loops = analysis.model.analysis(LoaderLoops)
    refers = loops.reference(loader.call, loader.scope)
    if refers is None:
        return
    seen: set[int] = set()
    for test in (refers, *loops.returned_to(loader.call, loader.scope)):
        for loop, _env in loops.loops_over(test):
            if id(loop) not in seen:
                seen.add(id(loop))
                yield loop


def _unknown_trained(analysis: "BatchAnalysis", loop: cst.For) -> str | None:
    """The model a training loop runs when its class is unknown (a parameter, ``self.net``) and nothing
    puts it in eval mode; None when the loop does not train or its model is known or frozen."""
    model = analysis.model
    trainings = model.analysis(TrainingDetection)
    candidates = trainings.trained_calls(loop)
    if not candidates:
        return None
    batch = {n.value for n in walk(loop.target) if isinstance(n, cst.Name)}
    chosen = None
    for expr, at in candidates:
        if model.analysis(ModelResolution).kind(expr, at) is not None:
            return None  # a model of known kind: TrainingDetection decided
        if chosen is None and _unknown_origin(model, expr, at) and _runs_on(model, loop, expr, batch):
            chosen = expr
    if chosen is None:
        return None
    label = model.code(chosen)
    if trainings.set_to_eval(label, loop) or _frozen_by_helper(analysis, label, loop) or _eval_in_class(analysis, chosen, loop):
        return None
    return label


def _bare_batchnorm(analysis: "BatchAnalysis", loop: cst.For) -> str | None:
    """A BatchNorm layer the loop applies to its batches (``bn = nn.BatchNorm1d(7)`` ... ``bn(x)``), outside
    ``no_grad`` and never put in eval mode: a repro's training-mode BatchNorm."""
    model = analysis.model
    trainings = model.analysis(TrainingDetection)
    if trainings.under_no_grad(loop):
        return None
    for node in walk(loop.body):
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)):
            continue
        bound = model.binding(node.func.value, model.scope_of(node))
        layer = model.layer_call(bound[0], bound[1]) if bound is not None and isinstance(bound[0], cst.Call) else None
        if layer is None or not layer.spec.is_batchnorm or trainings.under_no_grad(node, stop=loop):
            continue
        label = node.func.value
        if not any(isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and model.code(n.func.value) == label
                   and n.func.attr.value in ("eval", "train") for n in model.nodes_of(model.module, cst.Call)):
            return label
    return None


def _unknown_origin(model: "FileModel", expr: cst.BaseExpression, scope: "Scope") -> bool:
    """``model`` a parameter of the function, ``self.net`` stored once from an ``__init__`` parameter, or a
    model a builder chosen at run time builds: a model of unknown class (not one the code builds, swaps or
    changes, which ``ModelResolution.kind`` judges)."""
    if isinstance(expr, cst.Name):
        assigned = model.bindings(expr.value, scope)
        # (`model = nn.DataParallel(model)`, `model = model.to(device)` pass on what the name held)
        built = [v for v in assigned[0] if not _reads(v, expr.value)] if assigned is not None else []
        if built:
            return all(isinstance(v, cst.Call) and builds_run_time_class(model, v, assigned[1]) for v in built)
        found = param_of(expr.value, scope)
        return found is not None and not _called_here(model, found[1])
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
        info = model.enclosing_class(scope)
        values = info.attributes.get(expr.attr.value, []) if info is not None else []
        value = moved(values[0][0]) if len(values) == 1 else None  # (`self.net = net.to(device)`: the net given)
        if not isinstance(value, cst.Name):
            return False
        at = values[0][1]
        found = param_of(value.value, at) if model.binding(value.value, at) is None else None
        return found is not None and not any(isinstance(site.node.func, cst.Name) and site.node.func.value == info.name
                                             for site in model.calls)
    return False


def _reads(value: cst.CSTNode, name: str) -> bool:
    """Whether ``value`` reads the variable ``name`` (not an attribute of that name: ``opts.model``)."""
    attrs = {id(n.attr) for n in walk(value) if isinstance(n, cst.Attribute)}
    return any(isinstance(n, cst.Name) and n.value == name and id(n) not in attrs for n in walk(value))


def _called_here(model: "FileModel", function: cst.FunctionDef | None) -> bool:
    """Whether the file calls ``function`` (then what its callers pass decides, as ``TrainingDetection`` judged)."""
    if function is None:
        return False
    name = function.name.value
    return any(isinstance(site.node.func, cst.Name) and site.node.func.value == name
               or isinstance(site.node.func, cst.Attribute) and site.node.func.attr.value == name
               and isinstance(site.node.func.value, cst.Name) and site.node.func.value.value == "self"
               for site in model.calls)


def _runs_on(model: "FileModel", loop: cst.For, func: cst.BaseExpression, batch: set[str]) -> bool:
    """Whether ``func`` is called in the loop on (part of) the batch: ``model(img)``, ``net(x.to(dev))``."""
    label = model.code(func)
    for node in walk(loop.body):
        if isinstance(node, cst.Call) and model.code(node.func) == label:
            used = {n.value for arg in node.args for n in walk(arg.value) if isinstance(n, cst.Name)}
            if used & batch or any(_derived(model, loop, name, batch) for name in used):
                return True
    return False


def _derived(model: "FileModel", loop: cst.For, name: str, batch: set[str]) -> bool:
    """``inputs = batch["image"].to(device)`` in the loop: ``inputs`` comes from the batch."""
    for node in walk(loop.body):
        if isinstance(node, cst.Assign) and any(
                isinstance(n, cst.Name) and n.value == name for t in node.targets for n in walk(t.target)):
            if {n.value for n in walk(node.value) if isinstance(n, cst.Name)} & batch:
                return True
    return False


def _frozen_by_helper(analysis: "BatchAnalysis", label: str, loop: cst.For) -> bool:
    """``freeze_bn(model)`` before the loop (in its function, after any ``model.train()``), with ``freeze_bn``
    a function of the file that calls ``.eval()`` (on what it is given, or its modules) and never ``.train()``:
    its BatchNorm layers use running statistics in the loop."""
    model = analysis.model
    root = next((a for a in model.ancestors(loop) if isinstance(a, cst.FunctionDef)), model.module)
    start = model.order(loop)
    calls = model.nodes_of(root, cst.Call)
    for node in calls:
        if model.order(node) >= start or not any(model.code(a.value) == label for a in node.args):
            continue
        helper, _params = model.analysis(LoaderLoops).callee(node, model.scope_of(node))
        if helper is None:
            continue
        methods = {n.func.attr.value for n in walk(helper.body) if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute)}
        if "eval" not in methods or "train" in methods:
            continue
        after = model.order(node)
        if not any(isinstance(c.func, cst.Attribute) and c.func.attr.value == "train" and model.code(c.func.value) == label
                   and model.order(c) > after for c in calls):
            return True
    return False


def _eval_in_class(analysis: "BatchAnalysis", expr: cst.BaseExpression, loop: cst.For) -> bool:
    """``self.net.eval()`` in a method of the class (``build_model``) and ``self.net.train()`` nowhere."""
    model = analysis.model
    if not isinstance(expr, cst.Attribute):
        return False
    info = model.enclosing_class(model.scope_of(loop))
    if info is None:
        return False
    label = model.code(expr)
    evals = trains = False
    for method in info.methods.values():
        for node in walk(method.body):
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and model.code(node.func.value) == label:
                if node.func.attr.value == "eval":
                    evals = True
                elif node.func.attr.value == "train":
                    trains = True
    return evals and not trains


_CACHE: "weakref.WeakKeyDictionary[FileModel, dict]" = weakref.WeakKeyDictionary()


def builds_batchnorm(model: "FileModel") -> bool:
    """Whether the project builds a BatchNorm layer: this file, or a project file its code reaches."""
    cache = _CACHE.setdefault(model, {})
    if "bn" not in cache:
        cache["bn"] = _builds_batchnorm(model)
    return cache["bn"]


def _builds_batchnorm(model: "FileModel") -> bool:
    if any(layer.spec.is_batchnorm for layer in model.layer_calls):
        return True
    for site in model.calls:  # `torchvision.models.segmentation.deeplabv3_resnet101(...)`, `timm.create_model(...)`
        qn = model.qualname(site.node.func) or ""
        if qn.startswith(("torchvision.models.", "timm.")) and model_kind(model, site.node, site.scope) is ModelKind.BN:
            return True
    project = model.project
    if project is None:
        return False
    for other, _ in model.reached_files(names_read(model)):  # what this file's code reaches, imports deep
        if (project.mentions(other.path, "BatchNorm") or project.mentions(other.path, "batch_norm")) \
                and any(layer.spec.is_batchnorm for layer in other.layer_calls):
            return True
    return False
