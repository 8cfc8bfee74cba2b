"""Which expressions hold a BatchNorm-bearing ``nn.Module``.

``ModelKind.BN``: the code shows a BatchNorm inside (a project class that
builds one, transitively; a torchvision/timm factory known to use BatchNorm).
``ModelKind.MAYBE``: a model of unknown content (``torch.load``, a hub model, a
project class built from parts bn-lint cannot see). ``ModelKind.NO``: the code
shows no BatchNorm. ``None``: not a model as far as the code shows.
"""
from __future__ import annotations

import os
import re
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable

import libcst as cst

from ..project import NOT_INDEXED
from . import layers as layer_table
from .values import evaluate
from .walk import returned_values, walk

if TYPE_CHECKING:  # pragma: no cover
    from .model import ClassInfo, FileModel, Scope


class ModelKind(str, Enum):
    BN = "bn"
    MAYBE = "maybe"
    NO = "no"


# Factories whose models carry BatchNorm unless the name says otherwise (data, not ifs).
_BN_FACTORY_PREFIXES = ("torchvision.models.", "timm.create_model", "timm.models.", "pretrainedmodels.")
_NO_BN_TORCHVISION = re.compile(
    r"^torchvision\.models\.(alexnet|vgg\d+|vit_\w+|swin_\w+|squeezenet\w*|maxvit_t_no_bn)$"
)
# timm architectures without BatchNorm (LayerNorm, GroupNorm or normalizer-free), by model name; the
# name may carry a pretrained tag (`vit_small_patch16_224.augreg_in21k`) or a hub prefix (`hf_hub:timm/`)
_NO_BN_TIMM = re.compile(
    r"^(?:hf[_-]hub:timm/)?(vit|deit3?|swinv?2?|beit(v2)?|eva(02)?|convnext(v2)?|cait|mixer|resmlp|gmlp|"
    r"poolformer(v2)?|nf|dm_nfnet|nfnet|eca_nfnet|twins_(pcpvt|svt)|crossvit)_\w"
)
# parts of torchvision classification models that hold no BatchNorm (the stem conv of a ResNet, the head)
_TORCHVISION_PARTS_WITHOUT_BN = (
    (re.compile(r"^(resnet\d+|resnext\w+|wide_resnet\w+)$"), frozenset({"conv1", "fc"})),
    (re.compile(r"^(regnet_\w+|shufflenet_\w+|googlenet|inception_v3)$"), frozenset({"fc"})),
    (re.compile(r"^(densenet\d+|mobilenet_v[23]\w*|efficientnet_\w+|mnasnet\w+|vgg\d+_bn)$"), frozenset({"classifier"})),
)
# torchvision's detection models (but the v2 ones and SSDlite) use FrozenBatchNorm2d in a pretrained
# backbone, which they have by default (`weights_backbone=ResNet50_Weights.IMAGENET1K_V1`)
_FROZEN_BN_DETECTION = re.compile(r"^torchvision\.models\.detection\.(?!ssdlite)(?!.*_v2$)[\w.]+$")
# torchvision helpers that return (part of) the model they are given
_TORCHVISION_WRAPPING = frozenset({
    "torchvision.models._utils.IntermediateLayerGetter", "torchvision.models.feature_extraction.create_feature_extractor",
})
# torchvision's detection models built around the backbone they are given first (`FasterRCNN(backbone, ...)`)
DETECTORS = frozenset(f"torchvision.models.detection.{name}" for name in (
    "FasterRCNN", "MaskRCNN", "KeypointRCNN", "RetinaNet", "FCOS", "faster_rcnn.FasterRCNN", "mask_rcnn.MaskRCNN",
    "keypoint_rcnn.KeypointRCNN", "retinanet.RetinaNet", "fcos.FCOS"))
# parts of torchvision / timm classification models that hold their BatchNorm layers
_LIBRARY_BN_PARTS = frozenset({"features", "layer1", "layer2", "layer3", "layer4", "blocks", "stages", "trunk_output"})
_MODEL_ZOOS = ("torchvision.models", "timm.models")  # modules of model builders, most with BatchNorm
_UNKNOWN_MODEL_SOURCES = frozenset({"torch.load", "torch.jit.load", "torch.hub.load", "copy.deepcopy"})
_MAX_DEPTH = 8
# wrappers whose result holds the module they are given (and its BatchNorm)
_WRAPPING = frozenset({
    "torch.nn.parallel.DistributedDataParallel", "torch.nn.parallel.distributed.DistributedDataParallel",
    "torch.nn.DataParallel", "torch.nn.parallel.DataParallel", "torch.nn.parallel.data_parallel.DataParallel",
    "torch.compile", "torch.optim.swa_utils.AveragedModel",
})


def model_kind(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None", depth: int = 0) -> ModelKind | None:
    """What ``expr`` holds, as far as the code shows."""
    if depth > _MAX_DEPTH:
        _CUT.add(_DEPTH)
        return None
    if isinstance(expr, cst.Name):
        bound = model.binding(expr.value, scope)
        if bound is not None:
            return model_kind(model, bound[0], bound[1], depth + 1)
        assigned = model.bindings(expr.value, scope)
        if assigned is None:
            unpacked = model.unpacked(expr.value, scope)
            return element_kind(model, *unpacked, depth + 1) if unpacked is not None else None
        # assigned more than once (`if arch == "r18": net = resnet18() else: net = resnet50()`): the kind
        # every assignment agrees on; one that reuses the name (`net = net.to(device)`) passes it through
        values, where = assigned
        if any(swaps_batchnorm(model, value) for value in values):
            return None  # `net = strip_batchnorm(net)`: what it holds now, the code does not show
        # (`model_ft = None` first, a placeholder for the branches that build it, holds no module)
        kinds = {model_kind(model, value, where, depth + 1) for value in values
                 if not _mentions(value, expr.value) and not (isinstance(value, cst.Name) and value.value == "None")}
        return kinds.pop() if len(kinds) == 1 else None
    if isinstance(expr, cst.Attribute) and expr.attr.value == "module":  # `ddp_model.module`: what DDP wraps
        return model_kind(model, expr.value, scope, depth + 1)
    if isinstance(expr, cst.Attribute) and expr.attr.value in _LIBRARY_BN_PARTS:
        # `mobilenet_v2(weights=...).features`, `resnet.layer4`: the BatchNorm-bearing body of a library model
        base = expr.value
        if isinstance(base, cst.Name):
            bound = model.binding(base.value, scope)
            base = bound[0] if bound is not None else base
        base = _moved(base)
        qn = model.qualname(base.func) if isinstance(base, cst.Call) else None
        if qn and qn.startswith(("torchvision.models.", "timm.")) and not _NO_BN_TORCHVISION.match(qn) \
                and not DETECTORS & {qn} and model_kind(model, base, scope, depth + 1) is ModelKind.BN:
            return ModelKind.BN
        return None
    if isinstance(expr, cst.IfExp):  # `resnet56() if deep else resnet20()`: the kind both branches agree on
        kinds = {model_kind(model, branch, scope, depth + 1) for branch in (expr.body, expr.orelse)}
        return kinds.pop() if len(kinds) == 1 else None
    if isinstance(expr, cst.Call):
        # `model.to(device)`, `model.cuda()`, `model.eval()` return the model itself
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("to", "cuda", "cpu", "eval", "train", "float", "half", "double"):
            inner = model_kind(model, expr.func.value, scope, depth + 1)
            if inner is not None:
                return inner
        func = expr.func
        if isinstance(func, cst.Subscript) and isinstance(func.value, cst.Name):
            return _registry_kind(model, func.value, scope, depth)
        if isinstance(func, cst.Subscript) and isinstance(func.value, cst.Attribute) and func.value.attr.value == "__dict__" \
                and (model.qualname(func.value.value) or "").startswith(_MODEL_ZOOS):
            return ModelKind.MAYBE  # `models.__dict__[args.arch]()` (the ImageNet example): some have BatchNorm
        if isinstance(func, cst.Call) and isinstance(func.func, cst.Name) and func.func.value == "getattr" \
                and model.binding("getattr", scope) is None:
            return _getattr_factory_kind(model, func, scope, depth)
        if isinstance(func, cst.Call) and func.args and model.qualname(func.func) == "functools.partial":
            # `partial(EfficientNet, 1.0, 1.1)(...)`: what the wrapped class or builder gives
            return model_kind(model, cst.Call(func=func.args[0].value), scope, depth + 1)
        if isinstance(func, cst.Name) and func.value in model.functions and model.binding(func.value, scope) is None:
            given = passed_through(model, model.functions[func.value], expr)
            if given is not None:  # `model = load_checkpoint(model, path)` gives back what it was given
                return model_kind(model, given, scope, depth + 1)
            return _builder_kind(model, model.functions[func.value], depth)
        builder = _project_builder(model, func)
        if builder is not None:
            given = passed_through(builder[0], builder[1], expr)
            if given is not None:
                return model_kind(model, given, scope, depth + 1)
            return _builder_kind(builder[0], builder[1], depth + 1)
        qn = model.qualname(expr.func)
        if qn:
            if qn in _WRAPPING | _TORCHVISION_WRAPPING | DETECTORS and expr.args and not expr.args[0].keyword:
                return model_kind(model, expr.args[0].value, scope, depth + 1)  # `DDP(net)`: what it wraps
            if qn in _UNKNOWN_MODEL_SOURCES:
                if qn == "copy.deepcopy" and expr.args:
                    return model_kind(model, expr.args[0].value, scope, depth + 1) or ModelKind.MAYBE
                return ModelKind.MAYBE
            if _NO_BN_TORCHVISION.match(qn):
                return ModelKind.NO
            if _FROZEN_BN_DETECTION.match(qn):
                return ModelKind.MAYBE
            if _timm_without_bn(model, qn, expr, scope):
                return ModelKind.NO
            if qn.startswith(_BN_FACTORY_PREFIXES):
                return None if _other_norm(model, expr, scope) else ModelKind.BN
            spec = layer_table.lookup(qn)
            if spec is not None:
                if spec.is_batchnorm:
                    return ModelKind.BN
                if spec.kind == "container":
                    return _calls_kind(model, [expr, *_list_contents(model, expr, scope)], scope)
                return ModelKind.NO
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and _builds_own_class(model, func):
            return model_kind(model, cst.Call(func=func.value), scope, depth + 1)  # Net.from_config(cfg): a Net
        is_class, kind = _project_class_kind(model, expr.func, 0)
        if is_class:
            if kind is not None and kind is not ModelKind.BN and _bn_argument(model, expr, scope, depth):
                return ModelKind.BN  # `VGG(make_layers(cfg, batch_norm=True))`: built around a BatchNorm part
            if kind is ModelKind.NO and any(arg.star == "*" for arg in expr.args):
                return ModelKind.MAYBE  # `Ensemble(*load_models())`: built around parts the code does not show
            if kind is ModelKind.BN and _replaces_default_norm(model, expr, scope):
                return None  # `Net(norm_layer=nn.GroupNorm)`: the BatchNorm default is not what it builds
            return kind
    return None


def library_part_without_bn(model: "FileModel", built: cst.BaseExpression, attribute: str) -> bool:
    """Whether ``attribute`` of the torchvision model ``built`` (``resnet50(...)``) holds no BatchNorm
    (``model.conv1``, ``model.fc``)."""
    qn = model.qualname(built.func) if isinstance(built, cst.Call) else None
    if not qn or not qn.startswith("torchvision.models.") or qn.count(".") != 2:
        return False
    arch = qn.rpartition(".")[2]
    return any(pattern.match(arch) and attribute in parts for pattern, parts in _TORCHVISION_PARTS_WITHOUT_BN)


def _getattr_factory_kind(model: "FileModel", getter: cst.Call, scope: "Scope | None", depth: int) -> ModelKind | None:
    """``getattr(models, args.arch)(...)``, ``models`` an imported module: the kind every name it may pick
    builds, the name a literal or an argparse option with literal ``choices``."""
    args = [a.value for a in getter.args]
    if len(args) != 2 or any(a.keyword or a.star for a in getter.args) or not isinstance(args[0], cst.Name) \
            or model.imports.get(args[0].value) is None or model.binding(args[0].value, scope) is not None:
        return None
    name = evaluate(args[1], model, scope)
    names = [name] if isinstance(name, str) else _argparse_choices(model, args[1])
    if not names and model.imports[args[0].value].startswith(_MODEL_ZOOS):
        return ModelKind.MAYBE  # `getattr(torchvision.models, args.arch)()`: one of them, some with BatchNorm
    kinds = {model_kind(model, cst.Call(func=cst.Attribute(value=args[0], attr=cst.Name(n))), scope, depth + 1)
             for n in names if n.isidentifier()}
    return kinds.pop() if len(kinds) == 1 and len(names) > 0 else None


def _argparse_choices(model: "FileModel", expr: cst.BaseExpression) -> list[str]:
    """The literal ``choices`` of the argparse option ``args.<dest>`` reads; [] when not one."""
    if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)):
        return []
    dest, found = expr.attr.value, []
    for site in model.calls:
        call = site.node
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_argument"):
            continue
        flags = [evaluate(a.value, model, site.scope) for a in call.args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        named = evaluate(keywords["dest"], model, site.scope) if "dest" in keywords else next(
            (f.lstrip("-").replace("-", "_") for f in flags if isinstance(f, str) and f.startswith("--")),
            flags[0] if flags and isinstance(flags[0], str) else None)
        if named != dest:
            continue
        choices = keywords.get("choices")
        values = [evaluate(e.value, model, site.scope) for e in choices.elements] \
            if isinstance(choices, (cst.List, cst.Tuple)) else [None]
        if not values or not all(isinstance(v, str) for v in values):
            return []
        found.append(values)
    return found[0] if len(found) == 1 else []


def _timm_without_bn(model: "FileModel", qn: str, call: cst.Call, scope: "Scope | None") -> bool:
    """``timm.create_model("vit_small_patch16_224")`` (the name a literal or a constant) or
    ``timm.models.vit_small_patch16_224()``: an architecture with no BatchNorm."""
    if qn == "timm.create_model":
        arg = next((a.value for a in call.args if (a.keyword is None and not a.star)
                    or (a.keyword is not None and a.keyword.value == "model_name")), None)
        name = evaluate(arg, model, scope) if arg is not None else None
    elif qn.startswith("timm.models."):
        name = qn.rpartition(".")[2]
    else:
        return False
    return isinstance(name, str) and _NO_BN_TIMM.match(name) is not None


def _other_norm(model: "FileModel", call: cst.Call, scope: "Scope | None") -> bool:
    """``resnet50(norm_layer=gn)``: a factory given a norm layer that is not certainly a BatchNorm."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in ("norm_layer", "norm"):
            found = model.layer_class(arg.value, scope)
            return found is None or not found[0].is_batchnorm
    return False


def _replaces_default_norm(model: "FileModel", call: cst.Call, scope: "Scope | None") -> bool:
    """Whether ``call`` passes an argument for a constructor parameter of its class (of this file) that
    defaults to a BatchNorm class (``norm_layer=nn.BatchNorm1d``)."""
    info = model.classes.get(call.func.value) if isinstance(call.func, cst.Name) else None
    init = info.methods.get("__init__") if info is not None else None
    if init is None:
        return False
    params = [*init.params.posonly_params, *init.params.params][1:]
    given = {p.name.value: a.value for p, a in zip(params, [a for a in call.args if a.keyword is None and not a.star])}
    given |= {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    for param in [*params, *init.params.kwonly_params]:
        if param.name.value in given and param.default is not None:
            found = model.layer_class(param.default, model.scopes.get(init))
            if found is not None and found[0].is_batchnorm:
                passed = model.layer_class(given[param.name.value], scope)
                if passed is None or not passed[0].is_batchnorm:  # (another BatchNorm class is still one)
                    return True
    return False


def element_kind(model: "FileModel", call: cst.Call, index: int, scope: "Scope | None", depth: int = 0) -> ModelKind | None:
    """What element ``index`` of the tuple a project function returns holds (``model, tf = build()``),
    when every ``return`` gives a tuple and they agree on that element's kind."""
    found = element_builder(model, call.func, scope)
    if found is None or depth > _MAX_DEPTH:
        return None
    other, function = found
    kinds = set()
    for value in returned_values(function):
        element = tuple_element(value, index)
        if element is None:
            return None
        kinds.add(model_kind(other, element, other.scope_of(element), depth + 1))
    return kinds.pop() if len(kinds) == 1 else None


def element_builder(model: "FileModel", func: cst.BaseExpression,
                    scope: "Scope | None") -> tuple["FileModel", cst.FunctionDef] | None:
    """The project function a called name refers to: in this file, or imported from another file."""
    if isinstance(func, cst.Name) and func.value in model.functions and model.binding(func.value, scope) is None:
        return model, model.functions[func.value]
    return _project_builder(model, func)


def tuple_element(value: cst.BaseExpression | None, index: int) -> cst.BaseExpression | None:
    """Element ``index`` of a tuple display with no starred part (``return model, transforms``)."""
    if not isinstance(value, cst.Tuple) or index >= len(value.elements):
        return None
    if any(isinstance(element, cst.StarredElement) for element in value.elements):
        return None
    return value.elements[index].value


def _bn_argument(model: "FileModel", call: cst.Call, scope: "Scope | None", depth: int) -> bool:
    """Whether an argument of ``call`` is a module the code shows to carry BatchNorm."""
    return any(not arg.star and model_kind(model, arg.value, scope, depth + 1) is ModelKind.BN for arg in call.args)


def _registry_kind(model: "FileModel", name: cst.Name, scope: "Scope | None", depth: int) -> ModelKind | None:
    """``MODELS[arch](...)`` with ``MODELS`` a dict literal of builders: BN when every entry builds a
    BatchNorm model, MAYBE when every entry builds some module."""
    bound = model.binding(name.value, scope)
    if bound is None:
        return None
    kinds = set()
    if isinstance(bound[0], cst.Dict) and bound[0].elements:
        for element in bound[0].elements:
            if not isinstance(element, cst.DictElement):
                return None
            kinds.add(model_kind(model, cst.Call(func=element.value), bound[1], depth + 1))
    else:
        entries = registered(model, name.value, bound[0]) if bound[1] is model.module_scope else None
        if not entries:
            return None
        for other, entry in entries:
            kinds.add(model_kind(other, cst.Call(func=cst.Name(entry)), other.module_scope, depth + 1))
    if kinds == {ModelKind.BN}:
        return ModelKind.BN
    return ModelKind.MAYBE if kinds <= {ModelKind.BN, ModelKind.MAYBE} else None


def registered(model: "FileModel", registry: str, value: cst.BaseExpression) -> list[tuple["FileModel", str]] | None:
    """What a registry filled by decorators holds: ``REG = {}`` with ``def register(fn): REG[fn.__name__] =
    fn`` (``@register``), or ``REG = Registry("model")`` of a project class with a ``register`` method
    (``@REG.register("name")``): the top-level functions and classes so decorated in the files of its
    package, as (file, name). None when something else may fill it, or when too many files do."""
    if model.project is None:
        return None
    key = (model.path, registry)
    memo = model.project.registries
    if key not in memo:
        memo[key] = _find_registered(model, registry, value)
    return memo[key]


def _find_registered(model: "FileModel", registry: str, value: cst.BaseExpression) -> list[tuple["FileModel", str]] | None:
    registrars: set[str] = set()
    if isinstance(value, cst.Dict) and not value.elements or (
            isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict" and not value.args):
        for function in model.functions.values():
            for node in model.nodes_of(function, cst.Assign):
                if any(isinstance(t.target, cst.Subscript) and isinstance(t.target.value, cst.Name)
                       and t.target.value.value == registry for t in node.targets):
                    registrars.add(function.name.value)
        outside = [node for node in model.nodes_of(model.module, cst.Assign, cst.Call)
                   if not any(isinstance(a, cst.FunctionDef) and a.name.value in registrars for a in model.ancestors(node))
                   and _fills(node, registry)]
        if not registrars or outside:
            return None
        marks = registrars
    elif isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        found = project_class(model, value.func)
        if found is None or "register" not in found[1].methods:
            return None
        marks = {"register"}
    else:
        return None
    folder = os.path.dirname(os.path.abspath(model.path))
    package = os.path.isfile(os.path.join(folder, "__init__.py"))
    while package and os.path.isfile(os.path.join(os.path.dirname(folder), "__init__.py")):
        folder = os.path.dirname(folder)  # the top package: entries may sit in any of its modules
    files = {os.path.abspath(model.path)}
    for mark in sorted(marks):  # (a script's registry: the scripts beside it)
        files.update(model.project.files_mentioning(model.path, folder, mark if registrars else f"{registry}.{mark}",
                                                    recursive=package))
    if len(files) > _MAX_REGISTRY_FILES:
        return None
    entries: list[tuple[FileModel, str]] = []
    for path in sorted(files):
        other = model.project.model(path) if path != os.path.abspath(model.path) else model
        if other is None:
            continue
        for node in other.module.body:
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and any(
                    _registers(d.decorator, registry, registrars) for d in node.decorators):
                entries.append((other, node.name.value))
    return entries or None


_MAX_REGISTRY_FILES = 16  # (a model zoo registers hundreds: what each builds is not worked out)


def _fills(node: cst.CSTNode, registry: str) -> bool:
    """``REG[k] = v`` or ``REG.update(...)`` / ``REG.setdefault(...)``."""
    if isinstance(node, cst.Assign):
        return any(isinstance(t.target, cst.Subscript) and isinstance(t.target.value, cst.Name)
                   and t.target.value.value == registry for t in node.targets)
    func = node.func if isinstance(node, cst.Call) else None
    return (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == registry
            and func.attr.value in ("update", "setdefault", "__setitem__"))


def _registers(decorator: cst.BaseExpression, registry: str, registrars: set[str]) -> bool:
    """``@register``, ``@pkg.register``, ``@register("name")``, ``@REG.register`` or ``@REG.register("name")``."""
    func = decorator.func if isinstance(decorator, cst.Call) else decorator
    if registrars:
        return (isinstance(func, cst.Name) and func.value in registrars) or (
            isinstance(func, cst.Attribute) and func.attr.value in registrars)
    if not (isinstance(func, cst.Attribute) and func.attr.value == "register"):
        return False
    holder = func.value
    return (isinstance(holder, cst.Name) and holder.value == registry) or (
        isinstance(holder, cst.Attribute) and holder.attr.value == registry)


def class_kind(model: "FileModel", info: "ClassInfo", depth: int = 0) -> ModelKind | None:
    """BN if the class (or a base, or a part it builds) constructs a BatchNorm; None if not an nn.Module."""

    def compute() -> ModelKind | None:
        if not model.is_nn_module_class(info) and not any(_names_project_class(model, b) for b in info.bases):
            return None
        kinds = [_calls_kind(model, [info.node], info.scope, depth)]
        for base in info.bases:
            if ModelKind.BN in kinds:
                break  # BN outranks every other answer: the other bases need not be read (or parsed)
            _add_class_kind(model, base, depth, kinds)
        return _combine(kinds)

    return _memoized(model, "class", info.name, compute)


def _memoized(model: "FileModel", table: str, name: Any, compute: Callable[[], ModelKind | None]) -> ModelKind | None:
    """``compute()``, worked out once per (model, table, name).

    An answer cut short by a cycle (a question still being worked out) or by a depth
    limit depends on where the question came from: it is kept only until the outermost
    question is answered, so a file's findings never depend on which files were
    checked before it in the same process, and a cycle of helpers is still worked out
    once per question, not once per path through it.
    """
    cache = model.__dict__.setdefault("_kind_cache", {})
    key = (table, name)
    if key in cache:
        return cache[key]
    marker = (id(model), table, name)
    if not _IN_PROGRESS:  # a new outermost question: nothing from an earlier one is provisional
        _CUT.clear()
        _PROVISIONAL.clear()
    if marker in _PROVISIONAL:
        return _PROVISIONAL[marker]
    if marker in _IN_PROGRESS:
        _CUT.add(marker)  # a cycle: the caller's answer is provisional until ``marker`` is finished
        return None
    _IN_PROGRESS.add(marker)
    try:
        result = compute()
        _CUT.discard(marker)
        if _CUT:
            _PROVISIONAL[marker] = result
        else:
            cache[key] = result
            if table == "class":  # for the project index (``Project.save_index``)
                model.index_facts[key] = result.value if result is not None else None
        return result
    finally:
        _IN_PROGRESS.discard(marker)
        if not _IN_PROGRESS:  # the outermost question is answered: nothing provisional is left
            _CUT.clear()
            _PROVISIONAL.clear()


_IN_PROGRESS: set = set()  # questions being worked out, for cycle detection
_CUT: set = set()  # in-progress questions (or _DEPTH) that cut short an answer now being computed
_PROVISIONAL: dict = {}  # answers cut short, valid until the outermost question is answered
_DEPTH = ("depth", "limit")


def _calls_kind(model: "FileModel", roots: list[cst.CSTNode], scope: "Scope | None", depth: int = 0) -> ModelKind:
    """BN if any call under ``roots`` builds a BatchNorm (directly, via a local helper, project class or
    registry of them)."""
    kinds: list[ModelKind | None] = []
    for root in roots:
        for node in model.nodes_of(root, cst.Call):
            found = model.layer_class(node.func, model.scope_of(node)) or _default_layer(model, node.func, node)
            if found is not None:
                if found[0].is_batchnorm:
                    return ModelKind.BN
                continue
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("children", "modules") \
                    and isinstance(node.func.value, cst.Name) and depth < _MAX_DEPTH:
                # `nn.Sequential(*list(resnet.children())[:-2])`: layers of that model
                kinds.append(model_kind(model, node.func.value, model.scope_of(node), depth + 1))
                if kinds[-1] is ModelKind.BN:
                    return ModelKind.BN
                continue
            qn = model.qualname(node.func)
            if qn and qn.startswith(_BN_FACTORY_PREFIXES) and not _NO_BN_TORCHVISION.match(qn):
                if qn in _TORCHVISION_WRAPPING or _other_norm(model, node, model.scope_of(node)):
                    continue  # (a wrapped model is built by a call of its own)
                if _FROZEN_BN_DETECTION.match(qn):
                    kinds.append(ModelKind.MAYBE)
                    continue
                return ModelKind.BN
            if isinstance(node.func, cst.Subscript) and isinstance(node.func.value, cst.Name) and depth < _MAX_DEPTH:
                kinds.append(_registry_kind(model, node.func.value, model.scope_of(node), depth + 1))  # BACKBONES[name]()
            if qn == "functools.partial" and node.args and isinstance(node.args[0].value, cst.Name) and depth < _MAX_DEPTH:
                # `block = partial(conv_bn_relu, norm=norm)`, then `block(3, 32)`: what the helper builds
                target = model.local_function(node.args[0].value.value, model.scope_of(node))
                if target is not None and target not in roots and not _preset_replaces_norm(model, node, target):
                    kinds.append(_memoized(model, "helper", target, lambda h=target: _calls_kind(model, [h], None, depth + 1)))
            helper = model.local_function(node.func.value, model.scope_of(node)) if isinstance(node.func, cst.Name) else None
            if helper is not None:
                if helper in roots:
                    pass
                elif depth < _MAX_DEPTH:
                    kinds.append(_memoized(model, "helper", helper, lambda h=helper: _calls_kind(model, [h], None, depth + 1)))
                else:
                    _CUT.add(_DEPTH)
            elif depth < _MAX_DEPTH and isinstance(node.func, cst.Name) and _may_build_batchnorm(model, node.func):
                builder = _project_builder(model, node.func)  # `tower(dims)` imported from the project's blocks.py
                if builder is not None:
                    kinds.append(_builder_kind(builder[0], builder[1], depth + 1))
            if _replaces_default_norm(model, node, model.scope_of(node)):
                kinds.append(None)  # `Backbone(norm_layer=FrozenBatchNorm2d)`: not the BatchNorm it defaults to
            else:
                _add_class_kind(model, node.func, depth, kinds)
            if ModelKind.BN in kinds[-2:]:  # (a helper's kind, then a class's)
                return ModelKind.BN  # as a BatchNorm layer would: nothing after it can change the answer
    return _combine(kinds) or ModelKind.NO


def _preset_replaces_norm(model: "FileModel", call: cst.Call, function: cst.FunctionDef) -> bool:
    """Whether ``partial(function, norm=X)`` presets a parameter that defaults to a BatchNorm class with
    an ``X`` that is not certainly one."""
    defaults = {p.name.value: p.default for p in [*function.params.params, *function.params.kwonly_params]
                if p.default is not None}
    for arg in call.args[1:]:
        default = defaults.get(arg.keyword.value) if arg.keyword is not None else None
        found = model.layer_class(default, model.scopes.get(function)) if default is not None else None
        if found is not None and found[0].is_batchnorm:
            given = model.layer_class(arg.value, model.scope_of(call)) or _default_layer(model, arg.value, call)
            if given is None or not given[0].is_batchnorm:
                return True
    return False


def _default_layer(model: "FileModel", func: cst.BaseExpression, node: cst.CSTNode):
    """``norm_layer(width)`` where ``norm_layer`` is a parameter defaulting to a torch.nn class
    (``def __init__(self, norm_layer=nn.BatchNorm1d)``): that class, as ``layer_class`` gives it."""
    if not isinstance(func, cst.Name):
        return None
    scope = model.scope_of(node)
    while scope is not None and func.value not in scope.params:
        if func.value in scope.bindings or func.value in scope.opaque:
            return None
        scope = scope.parent
    param = scope.params[func.value] if scope is not None else None
    if param is None or param.default is None:
        return None
    return model.layer_class(param.default, scope.parent)


_LIST_MUTATORS = frozenset({"append", "extend", "insert", "add_module"})


def _list_contents(model: "FileModel", call: cst.Call, scope: "Scope | None") -> list[cst.CSTNode]:
    """What local lists given to a container (``nn.Sequential(*layers)``) are built from: their
    assigned values, and what ``layers.append(...)`` / ``+=`` / ``extend`` add in that scope."""
    out: list[cst.CSTNode] = []
    for name_node in _named_members(model, call):
        name = name_node.value
        where = scope or model.module_scope
        while where is not None and not (name in where.bindings or name in where.opaque or name in where.params):
            where = where.parent
        if where is None or name in where.params:
            continue
        out.extend(where.bindings.get(name, ()))  # (`+=` makes the name opaque: its value is not one expression)
        for node in walk(where.node):
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                    and node.func.attr.value in _LIST_MUTATORS and isinstance(node.func.value, cst.Name) \
                    and node.func.value.value == name:
                out.append(node)
            elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name) and node.target.value == name:
                out.append(node.value)
    return out


def _named_members(model: "FileModel", call: cst.Call) -> list[cst.Name]:
    """The names a container is given as members: ``nn.Sequential(features, head)``, also as the values of
    ``OrderedDict([("features", features), ...])`` or of a dict display (``nn.ModuleDict({"head": head})``)."""
    found: list[cst.Name] = []
    for arg in call.args:
        value = arg.value
        if isinstance(value, cst.Name):
            found.append(value)
        elif isinstance(value, cst.Dict):
            found += [e.value for e in value.elements if isinstance(e, cst.DictElement) and isinstance(e.value, cst.Name)]
        elif isinstance(value, cst.Call) and value.args and model.qualname(value.func) == "collections.OrderedDict" \
                and isinstance(value.args[0].value, (cst.List, cst.Tuple)):
            for element in value.args[0].value.elements:
                pair = element.value
                if isinstance(pair, cst.Tuple) and len(pair.elements) == 2 and isinstance(pair.elements[1].value, cst.Name):
                    found.append(pair.elements[1].value)
    return found


def _combine(kinds: list[ModelKind | None]) -> ModelKind | None:
    if ModelKind.BN in kinds:
        return ModelKind.BN
    if ModelKind.MAYBE in kinds:
        return ModelKind.MAYBE
    if ModelKind.NO in kinds:
        return ModelKind.NO
    return None


def _builder_kind(model: "FileModel", function: cst.FunctionDef, depth: int) -> ModelKind | None:
    """What a local builder (``def build(): return nn.Sequential(...)``) returns, when every return agrees."""

    def compute() -> ModelKind | None:
        inner = model.scopes.get(function)
        returns = returned_values(function)
        if not returns or any(r is None for r in returns):
            return None
        kinds = {model_kind(model, r, model.scope_of(r) or inner, depth + 1) for r in returns}
        return kinds.pop() if len(kinds) == 1 else None

    return _memoized(model, "builder", function, compute)


def overrides_train(model: "FileModel", func: cst.BaseExpression) -> bool:
    """Whether the project class that ``func`` builds, a project base of it, or a project module it
    builds overrides ``train()``: that class decides its layers' modes itself (mmdet's ``norm_eval``
    keeps BatchNorm in eval while the model trains)."""
    found = project_class(model, func)
    return found is not None and _manages_modes(found[0], found[1], set(), 0)


def _manages_modes(model: "FileModel", info: "ClassInfo", seen: set, depth: int) -> bool:
    if (id(model), info.name) in seen or depth > _MAX_DEPTH:
        return False
    seen.add((id(model), info.name))
    if "train" in info.methods and train_sets_modes(info.methods["train"]):
        return True
    for node in [*info.bases, *walk(info.node)]:
        func = node.func if isinstance(node, cst.Call) else node if node in info.bases else None
        found = project_class(model, func) if func is not None else None
        if found is not None and _manages_modes(found[0], found[1], seen, depth + 1):
            return True
    return False


def train_sets_modes(train: cst.FunctionDef) -> bool:
    """Whether an override of ``train()`` may set its layers' modes: it makes a call besides
    ``super().train(mode)`` (``m.eval()``, ``super().train(False)``, a helper); assigning ``.training``
    reaches no layer."""
    params = [p.name.value for p in train.params.params[1:2]]
    for node in walk(train.body):
        if not isinstance(node, cst.Call):
            continue
        func = node.func
        if isinstance(func, cst.Name) and func.value == "super":
            continue
        passed = [arg.value for arg in node.args]
        if (isinstance(func, cst.Attribute) and func.attr.value == "train" and isinstance(func.value, cst.Call)
                and isinstance(func.value.func, cst.Name) and func.value.func.value == "super"
                and len(passed) == 1 and isinstance(passed[0], cst.Name) and [passed[0].value] == params):
            continue
        return True
    return False


def _may_build_batchnorm(model: "FileModel", func: cst.Name) -> bool:
    """Whether an imported function comes from a project file whose text mentions BatchNorm (read
    without parsing: most imported helpers have nothing to do with a model's layers)."""
    where = model.imported_path(model.imports[func.value], "def") if func.value in model.imports else None
    return where is not None and model.project is not None and model.project.mentions(where[0], "BatchNorm")


def _project_builder(model: "FileModel", func: cst.BaseExpression) -> tuple["FileModel", cst.FunctionDef] | None:
    """The function an imported name refers to, in another project file (``from models import build_model``,
    or ``import models`` and ``models.build_model``)."""
    if model.project is None:
        return None
    dotted = _imported_name(model, func)
    if dotted is None or isinstance(func, cst.Attribute) and model.binding(func.value.value, None) is not None:
        return None
    found = model.imported(dotted, "def")
    if found is None or found[1] not in found[0].functions:
        return None
    return found[0], found[0].functions[found[1]]


def project_class(model: "FileModel", func: cst.BaseExpression) -> tuple["FileModel", "ClassInfo"] | None:
    """The class a name refers to: in this file, or imported from another project file."""
    if isinstance(func, cst.Name) and func.value in model.classes:
        return model, model.classes[func.value]
    if model.project is None:
        return None
    dotted = _imported_name(model, func)
    found = model.imported(dotted, "class") if dotted else None
    if found is None or found[1] not in found[0].classes:
        return None
    other, class_name = found
    return other, other.classes[class_name]


def _builds_own_class(model: "FileModel", func: cst.Attribute) -> bool:
    """``UNet3D.from_config(cfg)``: a ``@classmethod`` of a project class that returns ``cls(...)``."""
    if model.binding(func.value.value, None) is not None:
        return False
    if func.value.value not in model.classes and not _defines_classmethod(model, func.value, func.attr.value):
        return False  # (checked on the other file's text first: `AutoModel.from_config` parses nothing)
    found = project_class(model, func.value)
    method = found[1].methods.get(func.attr.value) if found is not None else None
    if method is None or not any(isinstance(d.decorator, cst.Name) and d.decorator.value == "classmethod"
                                 for d in method.decorators):
        return False
    first = method.params.params[0].name.value if method.params.params else None
    returns = returned_values(method)
    return bool(returns) and all(isinstance(r, cst.Call) and isinstance(r.func, cst.Name) and r.func.value == first
                                 for r in returns)


def _defines_classmethod(model: "FileModel", name: cst.Name, method: str) -> bool:
    """Whether the file an imported class name comes from (directly, not re-exported) defines that class
    and a ``def method(cls`` — read from its text, without parsing it."""
    if not name.value[:1].isupper() or name.value.isupper():
        return False  # a class's name (`UNet3D`), not a module alias (`F`, `nn`, `np`)
    dotted = _imported_name(model, name)
    if model.project is None or not dotted or "." not in dotted.strip(".") \
            or dotted.split(".")[0] in ("torch", "torchvision", "torchaudio", "timm", "numpy", "transformers"):
        return False
    module_name, _, class_name = dotted.rpartition(".")
    path = model.project.resolve_module(module_name, model.path)
    return bool(path) and model.project.may_define(path, "class", class_name) \
        and model.project.may_define_method(path, method)


def _imported_name(model: "FileModel", func: cst.BaseExpression) -> str | None:
    """The dotted name an imported ``Name`` / ``module.Name`` stands for."""
    if isinstance(func, cst.Name):
        return model.imports.get(func.value)
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        base = model.imports.get(func.value.value)
        return f"{base}.{func.attr.value}" if base else None
    return None


# ---------------------------------------------------------------- class kinds, through the project index


def _indexed_class_kind(model: "FileModel", func: cst.BaseExpression) -> Any:
    """The kind of the imported project class ``func`` names, as the project index holds it; else NOT_INDEXED."""
    if model.project is None or model.project.index is None or (isinstance(func, cst.Name) and func.value in model.classes):
        return NOT_INDEXED
    dotted = _imported_name(model, func)
    where = model.imported_path(dotted, "class") if dotted else None
    kind = model.project.indexed(where[0], "class", where[1]) if where is not None else NOT_INDEXED
    if kind is NOT_INDEXED:
        return NOT_INDEXED
    try:
        return ModelKind(kind) if kind is not None else None
    except ValueError:  # (a kind this version does not know: not an answer)
        return NOT_INDEXED


def _project_class_kind(model: "FileModel", func: cst.BaseExpression, depth: int) -> tuple[bool, ModelKind | None]:
    """(whether ``func`` names a project class, its kind): read from the project index when it holds it."""
    indexed = _indexed_class_kind(model, func)
    if indexed is not NOT_INDEXED:
        return True, indexed
    if _plain_imported_class(model, func):
        return True, None  # what class_kind says of a class without bases, without parsing its file
    found = project_class(model, func)
    if found is None:
        return False, None
    return True, class_kind(found[0], found[1], depth)


def _names_project_class(model: "FileModel", func: cst.BaseExpression) -> bool:
    return (_indexed_class_kind(model, func) is not NOT_INDEXED or _plain_imported_class(model, func)
            or project_class(model, func) is not None)


def _plain_imported_class(model: "FileModel", func: cst.BaseExpression) -> bool:
    """``func`` names a class of another project file defined once there, at the top, without bases
    (``class GenerationMixin:``): not a module, whatever it calls. Read from the file's text alone."""
    if model.project is None or (isinstance(func, cst.Name) and func.value in model.classes):
        return False
    dotted = _imported_name(model, func)
    where = model.imported_path(dotted, "class") if dotted else None
    return where is not None and model.project.plain_class(where[0], where[1])


def _add_class_kind(model: "FileModel", func: cst.BaseExpression, depth: int, kinds: list) -> None:
    """Add the kind of the project class ``func`` names, if it names one, to ``kinds`` (asked at ``depth``)."""
    if depth >= _MAX_DEPTH:
        if _names_project_class(model, func):
            _CUT.add(_DEPTH)
        return
    is_class, kind = _project_class_kind(model, func, depth + 1)
    if is_class:
        kinds.append(kind)


def _mentions(expr: cst.BaseExpression, name: str) -> bool:
    return any(isinstance(node, cst.Name) and node.value == name for node in walk(expr))


def swaps_batchnorm(model: "FileModel", value: cst.BaseExpression) -> bool:
    """``strip_batchnorm(net)``, ``convert_bn_to_gn(model)``: a project function that swaps a module's
    BatchNorm layers for others (``setattr`` / ``add_module`` / ``_modules[...]`` where it names BatchNorm)."""
    if not isinstance(value, cst.Call):
        return False
    func = value.func
    if isinstance(func, cst.Name) and func.value in model.functions and model.binding(func.value, None) is None:
        found: tuple["FileModel", cst.FunctionDef] | None = (model, model.functions[func.value])
    else:
        found = _project_builder(model, func)
    if found is None:
        return False
    other, function = found
    cache = other.__dict__.setdefault("_swaps_cache", {})
    if function not in cache:
        text = other.code(function)
        cache[function] = ("BatchNorm" in text or "batchnorm" in text) and any(
            marker in text for marker in ("setattr(", ".add_module(", "._modules[", ".register_module("))
    return cache[function]


_MOVES = frozenset({"to", "cuda", "cpu", "float", "half", "double", "bfloat16"})
_CONTAINER_TYPES = frozenset({"list", "tuple", "dict", "set"})


def _moved(value: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """``data.to(device, non_blocking=True)`` -> ``data``: the object a device or dtype move gives back."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _MOVES:
        value = value.func.value
    return value


def _for_containers_only(model: "FileModel", value: cst.BaseExpression | None, function: cst.FunctionDef) -> bool:
    """Whether a ``return`` sits in the body of ``if isinstance(x, (list, tuple)):`` (builtin containers only)."""
    if value is None:
        return False
    child: cst.CSTNode = value
    for ancestor in model.ancestors(value):
        if ancestor is function:
            return False
        if isinstance(ancestor, cst.If) and child is ancestor.body:
            test = ancestor.test
            if isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "isinstance" \
                    and len(test.args) == 2:
                kinds = test.args[1].value
                names = [e.value for e in kinds.elements] if isinstance(kinds, cst.Tuple) else [kinds]
                if names and all(isinstance(n, cst.Name) and n.value in _CONTAINER_TYPES for n in names):
                    return True
        child = ancestor
    return False


def passed_through(model: "FileModel", function: cst.FunctionDef, call: cst.Call) -> cst.BaseExpression | None:
    """The argument of ``call`` that ``function`` gives back: every ``return`` of it returns the same
    parameter, which it never rebinds (``def load_checkpoint(model, path): ...; return model``)."""
    if swaps_batchnorm(model, call):
        return None
    # (`return data.to(device)` gives back `data`; a return under `if isinstance(data, (list, tuple)):` is for
    # containers only: the course helper `to_device(ResNet9(), device)` gives back the module)
    returns = [_moved(r) for r in returned_values(function) if not _for_containers_only(model, r, function)]
    names = {r.value for r in returns if isinstance(r, cst.Name)}
    if not returns or len(names) != 1 or not all(isinstance(r, cst.Name) for r in returns):
        return None
    name = names.pop()
    scope = model.scopes.get(function)
    if scope is None or scope.bindings.get(name) or name not in scope.params:
        return None
    positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    for index, arg in enumerate(call.args):
        if arg.star:
            return None
        if arg.keyword is not None:
            if arg.keyword.value == name:
                return arg.value
        elif index < len(positional) and positional[index] == name:
            return arg.value
    return None
