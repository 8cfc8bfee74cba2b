"""Batch sizes, data loaders and distribution: the facts behind the BN3xx rules.

``BatchAnalysis`` (``FileModel.batches``) finds every ``DataLoader(...)`` of a
file, resolves its batch size (literals, constants, arithmetic, argparse /
click / typer defaults, config dicts, dataclass defaults, ``os.environ.get``
defaults, imported constants), its ``drop_last``, its dataset's length when the
code makes it certain, and which models it trains: a loader is a training
loader when a ``for`` loop over it (directly, or in a function it is passed
to) runs a model and calls ``backward()`` / ``optimizer.step()``. Anything not
certain is ``None`` and the rules stay silent.
"""
from __future__ import annotations

import math
import operator
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterator

import libcst as cst

from .model import stored_on_self
from .arguments import parameter_number
from .modules import ModelKind, element_kind, model_kind, overrides_train, project_class, swaps_batchnorm
from .walk import returned_values, walk
from .values import ARITHMETIC, UNKNOWN, literal_number, literal_string

if TYPE_CHECKING:  # pragma: no cover
    from .model import ClassInfo, FileModel, Scope

DATALOADERS = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})
DDP = frozenset({
    "torch.nn.parallel.DistributedDataParallel",
    "torch.nn.parallel.distributed.DistributedDataParallel",
    "torch.nn.DistributedDataParallel",
})
WRAPPERS = DDP | frozenset({"torch.nn.DataParallel", "torch.nn.parallel.DataParallel", "torch.compile"})
DISTRIBUTED_SAMPLERS = frozenset({
    "torch.utils.data.DistributedSampler",
    "torch.utils.data.distributed.DistributedSampler",
})
LENGTH_KEEPING_SAMPLERS = frozenset({
    "torch.utils.data.RandomSampler", "torch.utils.data.SequentialSampler",
    "torch.utils.data.sampler.RandomSampler", "torch.utils.data.sampler.SequentialSampler",
})
BATCH_SAMPLERS = frozenset({"torch.utils.data.BatchSampler", "torch.utils.data.sampler.BatchSampler"})
TENSOR_DATASETS = frozenset({"torch.utils.data.TensorDataset", "torch.utils.data.dataset.TensorDataset"})
SUBSETS = frozenset({"torch.utils.data.Subset", "torch.utils.data.dataset.Subset"})
RANDOM_SPLITS = frozenset({"torch.utils.data.random_split", "torch.utils.data.dataset.random_split"})
# tensor factories whose first dimension is the first size argument
_SIZED_FACTORIES = frozenset(
    f"{lib}.{name}"
    for lib in ("torch", "numpy", "numpy.random")
    for name in ("randn", "rand", "zeros", "ones", "empty", "full", "normal", "randint", "random", "standard_normal",
                 "uniform")
)
# tensor methods whose result has the receiver's first dimension: conversions, copies, and in-place
# initialisers (`torch.empty(n, 3).uniform_(-1, 1)`) and element-wise maths
_SAME_LENGTH_METHODS = frozenset({
    "float", "long", "double", "half", "int", "to", "cuda", "cpu", "contiguous", "clone", "detach", "astype",
    "uniform_", "normal_", "fill_", "zero_", "random_", "bernoulli_", "exponential_", "log_normal_", "cauchy_",
    "geometric_", "clamp", "clamp_", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "requires_grad_",
})
_GENERATOR_SAMPLERS = frozenset({"normal", "standard_normal", "random", "uniform", "integers", "randint", "choice"})
# `def log_every(self, iterable, ...):` ... `for obj in iterable:` ... `yield obj`
_YIELDS_ITEMS = re.compile(r"def\s+\w+\s*\(\s*self\s*,\s*(\w+)[\s\S]*?\bfor\s+(?:\w+\s*,\s*)?(\w+)\s+in\s+"
                           r"(?:enumerate\s*\(\s*)?\1\b[^:\n]*:[\s\S]*?\byield\s+\2\b")
_ITER_WRAPPERS = frozenset({"enumerate", "tqdm", "tqdm.tqdm", "tqdm.auto.tqdm", "tqdm.notebook.tqdm", "tqdm.rich.tqdm", "iter",
                            "rich.progress.track"})
_NO_GRAD = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad"})
_DISTRIBUTED_MARKERS = (
    "init_process_group", "DistributedDataParallel", "torch.distributed", "LOCAL_RANK", "local_rank",
    "lightning", "accelerate", "deepspeed", "horovod", "torchrun", "launch", "world_size", "DDP", "xm.",
)
_NAMESPACES = frozenset({"types.SimpleNamespace", "argparse.Namespace"})
_INTEGER_OPS = {name: ARITHMETIC[name] for name in ("Add", "Subtract", "Multiply", "FloorDivide")}
_MAX_DEPTH = 14
_REALS = False  # while ``number`` runs: the ``size`` walk (here and in other files) accepts floats
_NOT_LOCAL = object()  # ``_returned``: not a call of this file's function
_SAME_MODEL_METHODS = frozenset({"to", "cuda", "cpu", "train", "float", "half", "double", "bfloat16", "requires_grad_"})


@dataclass(frozen=True)
class Size:
    """A resolved integer (or, through ``number``, float) and where it comes from (``""``: written in the code)."""

    value: int | float
    source: str = ""

    def describe(self) -> str:
        return f"{self.value}" + (f" ({self.source})" if self.source else "")


@dataclass
class Training:
    """A loop over a loader that trains ``model`` (an expression, shown as ``label``)."""

    loop: cst.For
    label: str
    kind: ModelKind
    ddp: bool  # the trained expression goes through DistributedDataParallel


@dataclass
class Loader:
    call: cst.Call
    scope: "Scope"
    name: str | None
    batch: Size | None  # None: unknown (or no automatic batching)
    batch_node: cst.CSTNode  # where a batch-size finding points
    batch_given: bool  # batch_size= (or batch_sampler=) is passed
    drop_last: bool | None  # None: unknown
    length: Size | None  # the dataset's (or sampler's) length, when certain
    distributed: bool  # DistributedSampler
    drop_last_arg: cst.Arg | None = None
    trains: list[Training] = field(default_factory=list)

    @property
    def bn_training(self) -> Training | None:
        """The first loop that trains a model certainly holding BatchNorm."""
        for training in self.trains:
            if training.kind is ModelKind.BN:
                return training
        return None


class BatchAnalysis:
    """The loaders of one file and the DDP / SyncBatchNorm facts around them."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model
        self._argparse: dict[str, list[tuple[cst.BaseExpression | None, "Scope"]]] | None = None
        self._mutated: set[tuple[str, str]] | None = None
        self._flags: dict[str, str] = {}
        self._env: dict[cst.Param, tuple[cst.BaseExpression, "Scope | None"]] = {}  # parameter -> argument
        self._trainer_loops: dict[tuple[cst.FunctionDef, int], list[tuple[str, str]]] = {}
        self._loader_sites: list[tuple[cst.Call, "Scope"]] = []
        self.ddp_calls: list[tuple[cst.Call, "Scope"]] = []
        self.sync_calls: list[tuple[cst.Call, "Scope"]] = []  # convert_sync_batchnorm(...)
        for site in model.calls:
            qn = model.qualname(site.node.func)
            if qn in DATALOADERS:
                self._loader_sites.append((site.node, site.scope))
            elif qn in DDP:
                self.ddp_calls.append((site.node, site.scope))
            elif _is_convert_sync(site.node, qn):
                self.sync_calls.append((site.node, site.scope))

    # ---------------------------------------------------------------- loaders
    @cached_property
    def loaders(self) -> list[Loader]:
        """The file's DataLoaders, worked out on first use (another file's trainer is asked only for
        ``loops_training``, which needs none)."""
        return [self._loader(call, scope) for call, scope in self._loader_sites]

    def _loader(self, call: cst.Call, scope: "Scope") -> Loader:
        args = bind_args(call, ("dataset", "batch_size", "shuffle", "sampler", "batch_sampler", "num_workers",
                                 "collate_fn", "pin_memory", "drop_last"))
        opaque = args is None
        args = args or {}
        batch: Size | None = None
        batch_node: cst.CSTNode = call
        given = "batch_size" in args or "batch_sampler" in args
        drop_last: bool | None = False
        drop_arg = None
        if "drop_last" in args:
            drop_arg = args["drop_last"]
            value = self.model.value(drop_arg.value, scope)
            drop_last = value if isinstance(value, bool) else None
        if opaque:
            drop_last = None
        elif "batch_sampler" in args:
            batch, drop_last = self._batch_sampler(args["batch_sampler"].value, scope)
            batch_node = args["batch_sampler"].value
        elif "batch_size" in args:
            batch_node = args["batch_size"].value
            batch = self.size(batch_node, scope)
        else:
            batch = Size(1, "DataLoader's default batch_size")
        sampler = args.get("sampler")
        distributed = False
        length = None if opaque else self.length(args["dataset"].value, scope) if "dataset" in args else None
        if sampler is not None:
            sampler_call = self._call_of(sampler.value, scope)
            qn = self.model.qualname(sampler_call.func) if sampler_call is not None else None
            distributed = qn in DISTRIBUTED_SAMPLERS
            if qn not in LENGTH_KEEPING_SAMPLERS or any(a.keyword and a.keyword.value == "num_samples" for a in sampler_call.args):
                length = None
        name = None
        parent = self.model.parent(call)
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
            name = parent.targets[0].target.value
        loader = Loader(call, scope, name, batch, batch_node, given, drop_last, length, distributed, drop_arg)
        loader.trains = list(self._trainings(call, scope))
        return loader

    def _batch_sampler(self, expr: cst.BaseExpression, scope: "Scope") -> tuple[Size | None, bool | None]:
        call = self._call_of(expr, scope)
        if call is None or self.model.qualname(call.func) not in BATCH_SAMPLERS:
            return None, None
        args = bind_args(call, ("sampler", "batch_size", "drop_last"))
        if not args or "batch_size" not in args:
            return None, None
        drop = self.model.value(args["drop_last"].value, scope) if "drop_last" in args else False
        return self.size(args["batch_size"].value, scope), drop if isinstance(drop, bool) else None

    def _call_of(self, expr: cst.BaseExpression, scope: "Scope") -> cst.Call | None:
        for _ in range(_MAX_DEPTH):
            if isinstance(expr, cst.Call):
                return expr
            if not isinstance(expr, cst.Name):
                return None
            bound = self.model.binding(expr.value, scope)
            if bound is None:
                return None
            expr, scope = bound
        return None

    # ------------------------------------------------------------- batch size
    def number(self, expr: cst.BaseExpression, scope: "Scope | None") -> Size | None:
        """The number ``expr`` certainly holds (by default), float or integer: ``size`` with floats."""
        global _REALS
        _REALS, before = True, _REALS
        try:
            return self.size(expr, scope)
        finally:
            _REALS = before

    def size(self, expr: cst.BaseExpression, scope: "Scope | None", depth: int = 0) -> Size | None:
        """The integer ``expr`` certainly holds (by default), or None."""
        model = self.model
        if depth > _MAX_DEPTH:
            return None
        value = model.value(expr, scope)
        if isinstance(value, int) and not isinstance(value, bool) or _REALS and isinstance(value, float):
            return Size(value)
        if isinstance(expr, cst.Name):
            return self._name_size(expr.value, scope, depth)
        if isinstance(expr, cst.BinaryOperation):
            op = _INTEGER_OPS.get(type(expr.operator).__name__)
            left = self.size(expr.left, scope, depth + 1) if op else None
            right = self.size(expr.right, scope, depth + 1) if left else None
            if left is None or right is None or (op is operator.floordiv and right.value == 0):
                return None
            return Size(op(left.value, right.value), left.source or right.source)
        if isinstance(expr, cst.Call):
            return self._call_size(expr, scope, depth)
        if isinstance(expr, cst.Attribute):
            return self._attribute_size(expr, scope, depth)
        if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Attribute) and expr.value.attr.value == "shape" \
                and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) \
                and model.value(expr.slice[0].slice.value, scope) == 0:  # x.shape[0]
            return self.tensor_length(expr.value.value, scope, depth + 1)
        if isinstance(expr, cst.Subscript):
            entry = self._entry(expr, scope, depth)
            if entry is not None:
                return self.size(entry[0], entry[1], depth + 1)
            alias = self._dealias(expr.value, scope) if isinstance(expr.value, cst.Name) else None
            if alias is not None and isinstance(alias[0], (cst.Name, cst.Subscript, cst.Attribute)) \
                    and alias[0] is not expr.value:
                # `cfg = CONFIG` (or `CONFIG["train"]`, `C.CONFIG`) with CONFIG imported, then `cfg["batch_size"]`
                return self._imported_entry_size(expr.with_changes(value=alias[0]), alias[1], depth)
            made = self._config_from_function(expr, scope, depth)
            if made is not None:
                return made
            given = self._name_in_use(expr.value.value, scope) if isinstance(expr.value, cst.Name) else None
            if given is not None and given in self.model.imports:  # `def main(cfg=CONFIG)`, CONFIG imported
                return self._imported_entry_size(expr.with_changes(value=cst.Name(given)), self.model.module_scope, depth)
            return self._imported_entry_size(expr, scope, depth)
        return None

    def _config_from_function(self, expr: cst.Subscript, scope: "Scope | None", depth: int) -> Size | None:
        """``cfg = get_config(overrides)`` then ``cfg["batch_size"]``, where ``get_config`` (of this file or
        imported) returns a copy of a module-level config dict (``copy.deepcopy(CONFIG)``, ``dict(CONFIG)``,
        ``CONFIG.copy()``) it changes only under keys it does not spell out (overrides from the command line or
        the environment): the default is the config's entry."""
        root = expr.value
        while isinstance(root, cst.Subscript):
            root = root.value
        model = self.model
        if not isinstance(root, cst.Name) or any(name == root.value for name, _ in self.mutated):
            return None
        bound = model.binding(root.value, scope)
        call = bound[0] if bound is not None else None
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Name):
            return None
        name = call.func.value
        if name in model.functions and model.binding(name, None) is None:
            other, function = model, model.functions[name]
        elif name in model.imports:
            found = model.imported(model.imports[name], "def")
            if found is None or found[1] not in found[0].functions:
                return None
            other, function = found[0], found[0].functions[found[1]]
        else:
            return None
        config = _copied_config(other, function)
        if config is None:
            return None
        size = other.batches.size(_with_root(expr, cst.Name(config)), other.module_scope, depth + 1)
        if size is not None and not size.source:
            size = Size(size.value, f"`{model.code(_with_root(expr, cst.Name(config)))}` in {os.path.basename(other.path)}, "
                                    f"by {name}()")
        return size

    def _dealias(self, name: cst.Name, scope: "Scope | None") -> tuple[cst.BaseExpression, "Scope | None"] | None:
        """What a chain of plain aliases ends at (``cfg = CONFIG``): a value, or a name bound nowhere in
        this file (an import); None when a name on the way has its entries changed."""
        node: cst.BaseExpression = name
        seen: set[str] = set()
        while isinstance(node, cst.Name) and node.value not in seen:
            seen.add(node.value)
            if any(mutated == node.value for mutated, _ in self.mutated):
                return None
            bound = self.model.binding(node.value, scope)
            if bound is None:
                return node, scope
            node, scope = bound
        return None if isinstance(node, cst.Name) else (node, scope)

    def _default_in_use(self, name: str, scope: "Scope | None") -> tuple[cst.BaseExpression, "Scope"] | None:
        """The module-level value every call of this file gives a parameter: ``def main(cfg=CONFIG)``
        called only as ``main()``, or ``def run(cfg)`` called only as ``run(CONFIG)``: ``cfg`` is ``CONFIG``."""
        given = self._name_in_use(name, scope)
        return self.model.binding(given, self.model.module_scope) if given is not None else None

    def _name_in_use(self, name: str, scope: "Scope | None") -> str | None:
        """The module-level name (bound here, or imported) that every call of this file gives the
        parameter ``name`` (by argument, or by leaving its default)."""
        found = _param_of(name, scope)
        if found is None or found[1] is None:
            return None
        param, function = found
        model = self.model
        called = model.called_as(function)  # (a class's calls give its `def __init__(self, cfg=CFG)`)
        if called is None:
            return None
        callee, skip = called
        params = [p.name.value for p in (*function.params.posonly_params, *function.params.params)][skip:]
        sites = [site for site in model.calls
                 if isinstance(site.node.func, cst.Name) and site.node.func.value == callee]
        given: set[str] = set()
        for site in sites:
            call = site.node
            if any(a.star for a in call.args):
                return None
            passed = [a.value for a in call.args if a.keyword is not None and a.keyword.value == name]
            positional = [a.value for a in call.args if a.keyword is None]
            if name in params and len(positional) > params.index(name):
                passed.append(positional[params.index(name)])
            value, where = (passed[0], site.scope) if passed else (param.default, model.module_scope)
            if not isinstance(value, cst.Name):
                return None
            bound = model.binding(value.value, where)
            if bound != model.binding(value.value, model.module_scope):
                return None  # (a local of the caller that shadows the module's name)
            if bound is None and (value.value not in model.imports or value.value in model.module_scope.opaque):
                return None
            given.add(value.value)
        return given.pop() if len(given) == 1 else None

    def _imported_entry_size(self, expr: cst.Subscript, scope: "Scope | None", depth: int) -> Size | None:
        """``CFG["batch_size"]`` (or ``CFG["train"]["batch_size"]``) where ``CFG`` is a config dict imported
        from another project file."""
        model, container = self.model, expr.value
        while isinstance(container, cst.Subscript):
            container = container.value
        attribute = None
        if isinstance(container, cst.Attribute) and isinstance(container.value, cst.Name):
            attribute, container = container.attr.value, container.value  # `C.CONFIG`, `import configs as C`
        if not isinstance(container, cst.Name) or model.binding(container.value, scope) is not None:
            return None
        if container.value not in model.imports or any(name == container.value for name, _ in self.mutated) \
                or {(container.value, attribute), (container.value, "*")} & self.mutated:
            return None
        found = model.imported(model.imports[container.value] + (f".{attribute}" if attribute else ""))
        if found is None or found[0] is model:
            return None
        other, name = found
        size = other.batches.size(_with_root(expr, cst.Name(name)), other.module_scope, depth + 1)
        if size is not None and not size.source:
            size = Size(size.value, f"`{model.code(expr)}` in {os.path.basename(other.path)}")
        return size

    def _name_size(self, name: str, scope: "Scope | None", depth: int) -> Size | None:
        model = self.model
        bound = model.binding(name, scope)
        if bound is not None:
            return self.size(bound[0], bound[1], depth + 1)
        param = _param_of(name, scope)
        if param is not None and param[0] in self._env:  # inside ``_returned``: the call's argument
            value, value_scope = self._env[param[0]]
            return self.size(value, value_scope, depth + 1)
        if param is not None:
            found = self._option_default(*param, depth)
            if found is None:  # `def smoke_train(batch_size=64)`, called only with its default here
                given = parameter_number(model, cst.Name(name), scope)
                found = given if given is not None and isinstance(given.value, int) else None
            return found
        if name not in model.module_scope.bindings and name in model.imports:
            return self._imported(model.imports[name], lambda other, expr: other.batches.size(expr, other.module_scope, depth + 1))
        return None

    def _imported(self, dotted: str, resolve) -> Any:
        """``resolve(other_model, expr)`` for a module-level name imported from another project file."""
        found = self.model.imported(dotted)
        if found is None or found[0] is self.model:
            return None
        other, name = found
        bound = other.binding(name, other.module_scope)
        return resolve(other, bound[0]) if bound else None

    def _call_size(self, call: cst.Call, scope: "Scope | None", depth: int) -> Size | None:
        model = self.model
        qn = model.qualname(call.func) or (call.func.value if isinstance(call.func, cst.Name) else None)
        positional = [a.value for a in call.args if not a.keyword and not a.star]
        if qn == "int" and len(positional) == 1 and len(call.args) == 1:
            inner = positional[0]
            env = self._environ_default(inner, scope)
            if env is not None:
                return env
            return self.size(inner, scope, depth + 1)
        if qn in ("max", "min") and len(positional) == len(call.args) >= 2:
            sizes = [self.size(a, scope, depth + 1) for a in positional]
            if any(s is None for s in sizes):
                return None
            pick = (max if qn == "max" else min)(sizes, key=lambda s: s.value)
            return Size(pick.value, next((s.source for s in sizes if s.source), ""))
        env = self._environ_default(call, scope)
        if env is not None and isinstance(env.value, int):
            return env
        return self._rows(call, scope, depth)

    def _stored(self, expr: cst.BaseExpression, scope: "Scope | None") -> tuple[cst.BaseExpression, "Scope"] | None:
        """What ``self.attr`` holds when its class (of this file) assigns it exactly once and never
        augments it (``self.n = n``, ``self.x = torch.randn(n, 3)``): the value and its scope."""
        if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self"):
            return None
        attr = expr.attr.value
        info = self.model.enclosing_class(scope)
        values = info.attributes.get(attr) if info else None
        if not values or len(values) != 1 or any(
                _attribute_key(node.target) == ("self", attr) for node in self.model.nodes_of(info.node, cst.AugAssign)):
            return None
        return values[0]

    def _rows(self, call: cst.Call, scope: "Scope | None", depth: int) -> Size | None:
        """The first dimension a call measures: ``len(x)``, ``x.size(0)``, or ``x.numel()`` of a 1-D ``x``."""
        func = call.func
        positional = [a.value for a in call.args if not a.keyword and not a.star]
        if isinstance(func, cst.Name) and func.value == "len" and self.model.binding("len", scope) is None:
            return self.length(positional[0], scope, depth + 1) if len(call.args) == len(positional) == 1 else None
        if not isinstance(func, cst.Attribute) or self.model.qualname(func) is not None:
            return None
        if func.attr.value == "size" and len(call.args) == len(positional) == 1 and self.model.value(positional[0], scope) == 0:
            return self.tensor_length(func.value, scope, depth + 1)
        if func.attr.value == "numel" and not call.args and self._one_dimensional(func.value, scope):
            return self.tensor_length(func.value, scope, depth + 1)
        return None

    def _one_dimensional(self, expr: cst.BaseExpression, scope: "Scope | None") -> bool:
        """Whether ``expr`` is a tensor factory's 1-D result: ``torch.randint(0, k, (n,))``, ``torch.zeros(n)``."""
        stored = self._stored(expr, scope) or (self.model.binding(expr.value, scope) if isinstance(expr, cst.Name) else None)
        call = stored[0] if stored is not None else expr
        if not isinstance(call, cst.Call) or self.model.qualname(call.func) not in _SIZED_FACTORIES:
            return False
        positional = [a.value for a in call.args if not a.keyword and not a.star]
        shapes = [a.value for a in call.args if a.keyword is not None and a.keyword.value == "size"] or [
            a for a in positional if isinstance(a, (cst.Tuple, cst.List))]
        if shapes:
            return len(shapes) == 1 and isinstance(shapes[0], (cst.Tuple, cst.List)) and len(shapes[0].elements) == 1
        return len(positional) == 1 and len(call.args) == 1  # torch.zeros(n)

    def _environ_default(self, expr: cst.BaseExpression, scope: "Scope | None") -> Size | None:
        """``os.environ.get("BS", 4)`` / ``os.getenv("BS", "4")``: the default, as an int."""
        if not isinstance(expr, cst.Call):
            return None
        qn = self.model.qualname(expr.func)
        if qn not in ("os.environ.get", "os.getenv") or len(expr.args) != 2:
            return None
        key = self.model.value(expr.args[0].value, scope)
        default = self.model.value(expr.args[1].value, scope)
        if isinstance(default, str) and default.strip().isdigit():
            default = int(default)
        if not isinstance(default, int) or isinstance(default, bool) or not isinstance(key, str):
            return None
        return Size(default, f"the default of ${key}")

    def _returns_parsed_args(self, call: cst.Call, scope: "Scope | None") -> bool:
        """``parse()`` where this file's ``def parse(): ...; return parser.parse_args()``."""
        model, func = self.model, call.func
        if not isinstance(func, cst.Name) or func.value not in model.functions or model.binding(func.value, scope):
            return False
        function = model.functions[func.value]
        returns = returned_values(function)
        if not returns:
            return False
        for value in returns:
            if isinstance(value, cst.Name):
                bound = model.binding(value.value, model.scopes.get(function))
                value = bound[0] if bound else None
            if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                    and value.func.attr.value == "parse_args"):
                return False
        return True

    def _attribute_size(self, expr: cst.Attribute, scope: "Scope | None", depth: int) -> Size | None:
        model = self.model
        attr = expr.attr.value
        base = expr.value
        if not isinstance(base, cst.Name):
            return None
        if base.value == "self":  # assigned once in the class (`self.n = n`): that assignment defines it
            info = model.enclosing_class(scope)
            values = info.attributes.get(attr) if info else None
            stored = self._stored(expr, scope)
            if stored is not None:
                return self.size(stored[0], stored[1], depth + 1)
            if info is not None and not values and not any(
                    attr in other.attributes or attr in other.scope.bindings for other in model.classes.values()
                    if other is not info):
                return self._class_default(info, attr, depth)  # `BN_MOMENTUM = 0.99` in the class body
            return None
        if (base.value, attr) in self.mutated or (base.value, "*") in self.mutated:
            return None
        if base.value in model.classes:  # Config.batch_size
            return self._class_default(model.classes[base.value], attr, depth)
        if base.value in model.imports and base.value not in model.module_scope.bindings:
            return self._imported(f"{model.imports[base.value]}.{attr}",
                                  lambda other, e: other.batches.size(e, other.module_scope, depth + 1))
        bound = model.binding(base.value, scope)
        if bound is not None:
            value, value_scope = bound
            call = value if isinstance(value, cst.Call) else None
            if call is not None and isinstance(call.func, cst.Attribute) and call.func.attr.value == "parse_args":
                return self._argparse_default(attr, depth)
            if call is not None and self._returns_parsed_args(call, value_scope):  # args = get_args()
                return self._argparse_default(attr, depth)
            if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Call) and isinstance(
                value.value.func, cst.Attribute
            ) and value.value.func.attr.value == "parse_known_args":
                return self._argparse_default(attr, depth)
            if call is not None and model.qualname(call.func) in _NAMESPACES:  # cfg = SimpleNamespace(epochs=8)
                given = [arg for arg in call.args if arg.keyword is not None and arg.keyword.value == attr]
                if len(given) == 1 and not any(arg.star for arg in call.args):
                    return self.size(given[0].value, value_scope, depth + 1)
                return None
            if call is not None and isinstance(call.func, cst.Name) and call.func.value in model.classes:
                for arg in call.args:
                    if arg.star:
                        return None
                    if arg.keyword is not None and arg.keyword.value == attr:
                        return self.size(arg.value, value_scope, depth + 1)
                if any(arg.keyword is None for arg in call.args):
                    return None
                return self._class_default(model.classes[call.func.value], attr, depth)
            return None
        given = self._name_in_use(base.value, scope) if _param_of(base.value, scope) is not None else None
        if given is not None:
            # `def make_loaders(cfg): ... cfg.batch_size`, every call given the module's `cfg = Config()`
            found = self._attribute_size(cst.Attribute(value=cst.Name(given), attr=expr.attr), model.module_scope, depth + 1)
            if found is not None:
                return found
        if _param_of(base.value, scope) is not None and self.argparse.get(attr):
            # `def main(args): ... args.batch_size` in a file that defines --batch-size
            if any(isinstance(c.node.func, cst.Attribute) and c.node.func.attr.value in ("parse_args", "parse_known_args")
                   for c in model.calls):
                return self._argparse_default(attr, depth)
        return None

    def _class_default(self, info, attr: str, depth: int) -> Size | None:
        if attr in info.attributes:  # set in __init__ or elsewhere: not a class default
            return None
        values = info.scope.bindings.get(attr)
        if not values or len(values) != 1:
            return None
        found = self.size(values[0], info.scope, depth + 1)
        return Size(found.value, found.source or f"the default of {info.name}.{attr}") if found else None

    def _entry(self, expr: cst.Subscript, scope: "Scope | None", depth: int) -> tuple[cst.BaseExpression, "Scope | None"] | None:
        """``cfg["batch_size"]`` where ``cfg`` is a dict literal (or ``dict(...)``) never changed."""
        if depth > _MAX_DEPTH or len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
            return None
        key = self.model.value(expr.slice[0].slice.value, scope)
        if not isinstance(key, str):
            return None
        container, container_scope = expr.value, scope
        if isinstance(container, cst.Name):
            if (container.value, key) in self.mutated or (container.value, "*") in self.mutated:
                return None
            bound = self.model.binding(container.value, scope) or self._default_in_use(container.value, scope)
            if bound is None:
                return None
            container, container_scope = bound
            if isinstance(container, cst.Name):  # `cfg = DEFAULTS`: the dict it names
                found = self._dealias(container, container_scope)
                if found is None or isinstance(found[0], cst.Name):
                    return None
                container, container_scope = found
            elif isinstance(container, cst.Subscript):  # `ft_cfg = CONFIG["finetune"]`: a section of a config
                found = self._entry(container, container_scope, depth + 1)
                if found is None:
                    return None
                container, container_scope = found
        elif isinstance(container, cst.Subscript):
            inner = self._entry(container, scope, depth + 1)
            if inner is None:
                return None
            container, container_scope = inner
            if isinstance(container, cst.Name):
                bound = self.model.binding(container.value, container_scope)
                if bound is None:
                    return None
                container, container_scope = bound
        else:
            return None
        if isinstance(container, cst.Dict):
            found = None
            for element in container.elements:
                if not isinstance(element, cst.DictElement):
                    return None  # **other: unknown keys
                if self.model.value(element.key, container_scope) == key:
                    found = element.value
            return (found, container_scope) if found is not None else None
        if isinstance(container, cst.Call) and isinstance(container.func, cst.Name) and container.func.value == "dict":
            if any(a.keyword is None for a in container.args):
                return None
            for arg in container.args:
                if arg.keyword.value == key:
                    return arg.value, container_scope
        return None

    @property
    def mutated(self) -> set[tuple[str, str]]:
        """(name, key-or-attribute) pairs assigned somewhere (``cfg["bs"] = ...``, ``args.bs = ...``, ``cfg.update``)."""
        if self._mutated is None:
            found: set[tuple[str, str]] = set()
            model = self.model
            for target, _value, _scope in model.attribute_assignments:
                if isinstance(target.value, cst.Name) and target.value.value != "self":
                    found.add((target.value.value, target.attr.value))
            for node in model.nodes_of(model.module, cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Call):
                targets: list[cst.BaseExpression] = []
                if isinstance(node, cst.Assign):
                    targets = [t.target for t in node.targets]
                elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
                    targets = [node.target]
                for target in targets:
                    while isinstance(target, cst.Subscript) and isinstance(target.value, (cst.Subscript, cst.Attribute)):
                        target = target.value  # `cfg["train"]["batch_size"] = 64` changes cfg["train"]
                    if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
                        key = None
                        if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
                            key = model.value(target.slice[0].slice.value, None)
                        found.add((target.value.value, key if isinstance(key, str) else "*"))
                    elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                        found.add((target.value.value, target.attr.value))
                if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                        and node.func.attr.value in ("update", "setdefault", "set_defaults", "merge_from_file", "merge_from_list"):
                    receiver = node.func.value
                    while isinstance(receiver, (cst.Subscript, cst.Attribute)):
                        receiver = receiver.value  # `CONFIG["train"].update(PRESET)` changes CONFIG
                    if isinstance(receiver, cst.Name):
                        found.add((receiver.value, "*"))
                if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "setattr" and node.args:
                    if isinstance(node.args[0].value, cst.Name):
                        found.add((node.args[0].value.value, "*"))
            # a section changed through a name bound to it (`train = CONFIG["train"]; train["bs"] = 4`)
            # changes the config it came from
            sections: dict[str, set[str]] = {}
            for node in model.nodes_of(model.module, cst.Assign):
                value = node.value
                while isinstance(value, cst.Subscript):
                    value = value.value
                if isinstance(value, cst.Name) and value is not node.value:
                    for target in node.targets:
                        if isinstance(target.target, cst.Name):
                            sections.setdefault(target.target.value, set()).add(value.value)
            for name, _key in list(found):
                found |= {(root, "*") for root in sections.get(name, ())}
            self._mutated = found
        return self._mutated

    # ------------------------------------------------------- CLI option defaults
    @property
    def argparse(self) -> dict[str, list[tuple[cst.BaseExpression | None, "Scope"]]]:
        """dest -> the ``default=`` of each ``add_argument`` defining it (None when absent or required)."""
        if self._argparse is None:
            found: dict[str, list[tuple[cst.BaseExpression | None, Scope]]] = {}
            for site in self.model.calls:
                call = site.node
                if not isinstance(call.func, cst.Attribute) or call.func.attr.value != "add_argument":
                    continue
                flags = [self.model.value(a.value, site.scope) for a in call.args if a.keyword is None and not a.star]
                if not flags or not all(isinstance(f, str) for f in flags):
                    continue
                keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
                dest = _dest(flags, keywords, self.model, site.scope)
                if dest is None:
                    continue
                default = keywords.get("default")
                required = self.model.value(keywords["required"], site.scope) if "required" in keywords else False
                if required is not False or not flags[0].startswith("-") or keywords.get("action") is not None:
                    default = None
                found.setdefault(dest, []).append((default, site.scope))
                self._flags.setdefault(dest, next((f for f in flags if f.startswith("--")), flags[0]))
            self._argparse = found
        return self._argparse

    def _argparse_default(self, dest: str, depth: int) -> Size | None:
        definitions = self.argparse.get(dest)
        if not definitions or any(default is None for default, _ in definitions):
            return None
        if any(self._sets_default(dest)):
            return None
        sizes = {self.size(default, scope, depth + 1) for default, scope in definitions}
        if len(sizes) != 1 or None in sizes:
            return None
        size = sizes.pop()
        return Size(size.value, f"the default of {self._flags.get(dest, '--' + dest)}")

    def _sets_default(self, dest: str) -> Iterator[bool]:
        for site in self.model.calls:
            func = site.node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "set_defaults":
                yield any(a.keyword is None or a.keyword.value == dest for a in site.node.args)

    def _option_default(self, param: cst.Param, function: cst.FunctionDef | None, depth: int) -> Size | None:
        """A parameter's default, when the function is a click / typer command."""
        if function is None:
            return None
        name = param.name.value
        for decorator in function.decorators:
            call = decorator.decorator
            if not isinstance(call, cst.Call):
                continue
            qn = self.model.qualname(call.func) or ""
            if qn in ("click.option", "click.argument") or (isinstance(call.func, cst.Attribute) and call.func.attr.value == "option"):
                flags = [self.model.value(a.value, None) for a in call.args if a.keyword is None]
                keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
                if not flags or not all(isinstance(f, str) for f in flags):
                    continue
                if _dest(flags, {}, self.model, None) != name and name not in flags:
                    continue
                if "default" not in keywords:
                    return None
                found = self.size(keywords["default"], None, depth + 1)
                return Size(found.value, f"the default of {flags[0] if flags[0].startswith('-') else '--' + name}") if found else None
        if param.default is None:
            return None
        default = param.default
        is_typer_option = isinstance(default, cst.Call) and (self.model.qualname(default.func) or "").startswith("typer.")
        is_command = any(
            isinstance(d.decorator, cst.Call) and isinstance(d.decorator.func, cst.Attribute)
            and d.decorator.func.attr.value == "command"
            and (self.model.qualname(d.decorator.func) or "").split(".")[0] != "click"
            and "typer" in self.model.imports.values() | {v.split(".")[0] for v in self.model.imports.values()}
            for d in function.decorators
        )
        if is_typer_option:
            args = default.args
            value = next((a.value for a in args if a.keyword is None or a.keyword.value == "default"), None)
            found = self.size(value, None, depth + 1) if value is not None else None
        elif is_command:
            found = self.size(default, None, depth + 1)
        else:
            return None
        return Size(found.value, f"the default of --{name.replace('_', '-')}") if found else None

    # ---------------------------------------------------------- dataset length
    def length(self, expr: cst.BaseExpression, scope: "Scope | None", depth: int = 0) -> Size | None:
        """The number of samples of a dataset expression, when certain."""
        model = self.model
        if depth > _MAX_DEPTH:
            return None
        stored = self._stored(expr, scope)
        if stored is not None:
            return self.length(stored[0], stored[1], depth + 1)
        if isinstance(expr, cst.Name):
            bound = model.binding(expr.value, scope)
            if bound is not None:
                return self.length(bound[0], bound[1], depth + 1)
            split = model.unpacked(expr.value, scope)  # train, val = random_split(...)
            if split is not None:
                call, index, split_scope = split
                sizes = self._split_sizes(call, split_scope, depth)
                return sizes[index] if sizes and index < len(sizes) else None
            return None
        if isinstance(expr, (cst.List, cst.Tuple)):
            if any(isinstance(e, cst.StarredElement) for e in expr.elements):
                return None
            return Size(len(expr.elements))
        if isinstance(expr, cst.ListComp):
            comp = expr.for_in
            if comp.ifs or comp.inner_for_in is not None or comp.asynchronous is not None:
                return None
            return self.length(comp.iter, scope, depth + 1)
        if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name):
            # random_split(...)[0]
            call = self._call_of(expr.value, scope)
            index = model.value(expr.slice[0].slice.value, scope) if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) else None
            if call is not None and model.qualname(call.func) in RANDOM_SPLITS and isinstance(index, int):
                sizes = self._split_sizes(call, scope, depth)
                return sizes[index] if sizes and -len(sizes) <= index < len(sizes) else None
            return None
        if not isinstance(expr, cst.Call):
            return None
        qn = model.qualname(expr.func) or (expr.func.value if isinstance(expr.func, cst.Name) else None)
        positional = [a.value for a in expr.args if a.keyword is None and not a.star]
        if qn in TENSOR_DATASETS and len(expr.args) == 1 and expr.args[0].star == "*" \
                and isinstance(expr.args[0].value, cst.Call):
            # `TensorDataset(*make_data(n))`: the first tensor of the tuple a local helper returns
            found = self._returned(expr.args[0].value, scope, lambda value, at: self.tensor_length(value, at, depth + 1), 0)
            return found if found is not _NOT_LOCAL else None
        if any(a.star for a in expr.args):
            return None
        if qn == "range":
            values = [self.size(a, scope, depth + 1) for a in positional]
            if not values or None in values or len(values) > 3:
                return None
            length = _range_length([v.value for v in values])
            return Size(length) if length is not None else None
        if qn in ("list", "tuple") and len(positional) == 1:
            return self.length(positional[0], scope, depth + 1)
        if qn in TENSOR_DATASETS and positional:
            # TensorDataset refuses tensors of different lengths: one known length is the dataset's
            known = [n for n in (self.tensor_length(a, scope, depth + 1) for a in positional) if n is not None]
            return known[0] if known and len({n.value for n in known}) == 1 else None
        if qn in SUBSETS and len(positional) == 2:
            return self.length(positional[1], scope, depth + 1)
        if qn and isinstance(expr.func, cst.Name) and expr.func.value in model.classes:
            return self._class_length(model.classes[expr.func.value], expr, scope)
        foreign = self._imported_class_length(expr, scope, depth)
        if foreign is not None:
            return foreign
        returned = self._returned(expr, scope, lambda value, at: self.length(value, at, depth + 1))
        if returned is not _NOT_LOCAL:
            return returned
        return self.tensor_length(expr, scope, depth + 1)

    def _returned(self, call: cst.Call, scope: "Scope | None", measure, index: int | None = None) -> Any:
        """``measure`` of what a local function returns (its ``index``-th element for ``a, b = f()``), when
        every ``return`` agrees; the function's parameters stand for the call's arguments meanwhile.
        ``_NOT_LOCAL`` when ``call`` does not call a function of this file."""
        model, func = self.model, call.func
        if not isinstance(func, cst.Name) or func.value not in model.functions or model.binding(func.value, scope):
            return _NOT_LOCAL
        function = model.functions[func.value]
        inner = model.scopes.get(function)
        returns = returned_values(function)
        if index is not None:
            returns = [r.elements[index].value if isinstance(r, cst.Tuple) and len(r.elements) > index else None
                       for r in returns]
        if not returns or any(r is None for r in returns) or any(a.star for a in call.args):
            return None
        params = [*function.params.posonly_params, *function.params.params, *function.params.kwonly_params]
        saved, self._env = self._env, {**self._env, **_params_bound(params, call, scope)}
        try:
            found = [measure(r, model.scope_of(r) or inner) for r in returns]
        finally:
            self._env = saved
        if any(n is None for n in found) or len({n.value for n in found}) != 1:
            return None
        return found[0]

    def tensor_length(self, expr: cst.BaseExpression, scope: "Scope | None", depth: int = 0) -> Size | None:
        """The first dimension of a tensor built in the code (``torch.randn(1001, 3)``)."""
        model = self.model
        if depth > _MAX_DEPTH:
            return None
        stored = self._stored(expr, scope)
        if stored is not None:
            return self.tensor_length(stored[0], stored[1], depth + 1)
        if isinstance(expr, cst.Name):
            bound = model.binding(expr.value, scope)
            if bound is not None:
                return self.tensor_length(bound[0], bound[1], depth + 1)
            assigned = model.bindings(expr.value, scope)
            if assigned is not None and len(assigned[0]) > 1 and all(
                    _keeps_length(model, value, expr.value, assigned[1]) for value in assigned[0][1:]):
                # `x = torch.randn(4097, 8)`, then `x = (x - x.mean(0)) / x.std(0)`: the rows stay
                return self.tensor_length(assigned[0][0], assigned[1], depth + 1)
            split = model.unpacked(expr.value, scope)  # x, y = make_data(n)
            if split is not None and split[2] is scope:
                call, index, call_scope = split
                found = self._returned(call, call_scope, lambda value, at: self.tensor_length(value, at, depth + 1), index)
                return found if found is not _NOT_LOCAL else None
            return None
        if isinstance(expr, cst.UnaryOperation):  # -x
            return self.tensor_length(expr.expression, scope, depth + 1)
        if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1 \
                and _broadcasts(model, expr.comparisons[0].comparator, scope):  # `(score > 0).long()`: labels per row
            return self.tensor_length(expr.left, scope, depth + 1)
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, cst.MatrixMultiply):  # `torch.randn(n, 24) @ MIXING`: the rows of the left
                return self.tensor_length(expr.left, scope, depth + 1)
            # `torch.rand(n, 8) * 2.0 - 1.0`, `x + BASELINE` (1-D): a number or a vector keeps the rows
            for other, tensor in ((expr.right, expr.left), (expr.left, expr.right)):
                if _broadcasts(model, other, scope):
                    return self.tensor_length(tensor, scope, depth + 1)
            return None
        if not isinstance(expr, cst.Call) or any(a.star for a in expr.args):
            return None
        func = expr.func
        if isinstance(func, cst.Name) and func.value in model.functions:  # `x = simulate(4097)`
            found = self._returned(expr, scope, lambda value, at: self.tensor_length(value, at, depth + 1))
            return found if found is not _NOT_LOCAL else None
        if isinstance(func, cst.Attribute) and func.attr.value in _SAME_LENGTH_METHODS:
            if model.qualname(func) is None:
                return self.tensor_length(func.value, scope, depth + 1)
        qn = model.qualname(func) or ""
        positional = [a.value for a in expr.args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in expr.args if a.keyword is not None}
        if "size" in keywords and self._numpy_generator(func, scope):  # rng.normal(size=(n, 32))
            qn = "numpy.random.normal"
        if qn in ("torch.from_numpy", "torch.as_tensor", "numpy.asarray", "numpy.array", "torch.tensor") and positional:
            inner = positional[0]
            if isinstance(inner, (cst.List, cst.Tuple, cst.ListComp)) or qn == "torch.from_numpy":
                return self.length(inner, scope, depth + 1) if qn != "torch.from_numpy" else self.tensor_length(inner, scope, depth + 1)
            return self.tensor_length(inner, scope, depth + 1)
        if isinstance(func, cst.Attribute) and func.attr.value == "unsqueeze" and len(positional) == 1 \
                and model.qualname(func) is None:
            dim = literal_number(positional[0])
            if isinstance(dim, int) and dim != 0:  # `x.unsqueeze(1)`: (N,) -> (N, 1), the rows stay
                return self.tensor_length(func.value, scope, depth + 1)
            return None
        if qn in ("torch.linspace", "numpy.linspace"):  # `torch.linspace(-pi, pi, 1001)`: `steps` points
            steps = keywords.get("steps" if qn.startswith("torch") else "num")
            steps = positional[2] if steps is None and len(positional) >= 3 else steps
            return self.size(steps, scope, depth + 1) if steps is not None else None
        if qn in ("torch.arange", "numpy.arange"):
            values = [self.size(a, scope, depth + 1) for a in positional]
            if not values or None in values or len(values) > 3 or keywords:
                return None
            length = _range_length([v.value for v in values])
            return Size(length) if length is not None else None
        if qn not in _SIZED_FACTORIES:
            return None
        shape: cst.BaseExpression | None = keywords.get("size")
        if shape is None:
            if qn.endswith(("randint", "normal", "uniform")):
                shape = next((a for a in positional if isinstance(a, (cst.Tuple, cst.List))), None)
            elif qn.startswith("numpy.") and qn.rpartition(".")[2] in ("zeros", "ones", "empty", "full"):
                shape = positional[0] if positional else keywords.get("shape")
            elif positional:
                shape = positional[0]
        if shape is None:
            return None
        if isinstance(shape, (cst.Tuple, cst.List)):
            if not shape.elements or isinstance(shape.elements[0], cst.StarredElement):
                return None
            shape = shape.elements[0].value
        return self.size(shape, scope, depth + 1)

    def _numpy_generator(self, func: cst.BaseExpression, scope: "Scope | None") -> bool:
        """``rng.normal`` / ``rng.integers`` where ``rng = np.random.default_rng(...)`` (or ``RandomState``)."""
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                and func.attr.value in _GENERATOR_SAMPLERS):
            return False
        bound = self.model.binding(func.value.value, scope)
        return (bound is not None and isinstance(bound[0], cst.Call)
                and self.model.qualname(bound[0].func) in ("numpy.random.default_rng", "numpy.random.RandomState"))

    def _class_length(self, info, call: cst.Call, scope: "Scope | None", given: dict | None = None) -> Size | None:
        """What ``__len__`` of a Dataset class of this file returns for the instance ``call`` builds: a
        constant, or what ``__init__`` stores from its arguments (``self.n = n``; ``return self.n``).
        ``given``: the arguments, worked out by the caller (``call`` is another file's)."""
        method = info.methods.get("__len__")
        if method is None:
            return None
        returns = returned_values(method)
        if len(returns) != 1 or returns[0] is None:
            return None
        init = info.methods.get("__init__")
        bound = dict(self._env)
        if given is not None:
            bound.update(given)
        elif init is not None and not any(a.star for a in call.args):
            bound.update(_params_bound([*init.params.posonly_params, *init.params.params, *init.params.kwonly_params][1:],
                                       call, scope))
        saved, self._env = self._env, bound
        try:
            return self.size(returns[0], self.model.scopes.get(method), 1)
        finally:
            self._env = saved

    def _imported_class_length(self, call: cst.Call, scope: "Scope | None", depth: int) -> Size | None:
        """``_class_length`` of a Dataset class imported from another project file, its arguments worked out
        here: the integers this file shows, the others unknown."""
        model = self.model
        func = call.func
        if isinstance(func, cst.Name) and model.binding(func.value, scope) is None:
            dotted = model.imports.get(func.value)
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in model.imports:
            dotted = f"{model.imports[func.value.value]}.{func.attr.value}"
        else:
            return None
        where = model.imported_path(dotted, "class") if dotted else None
        if where is None or not model.project.mentions(where[0], "def __len__"):
            return None  # (no `__len__` there: no parse)
        found = model.imported(dotted, "class")
        if found is None or found[0] is model or found[1] not in found[0].classes or any(a.star for a in call.args):
            return None
        other, info = found[0], found[0].classes[found[1]]
        init = info.methods.get("__init__")
        given: dict = {}
        if init is not None:
            params = [*init.params.posonly_params, *init.params.params, *init.params.kwonly_params][1:]
            for param, (value, at) in _params_bound(params, call, scope).items():
                size = self.size(value, at, depth + 1)
                given[param] = (_integer(size.value) if size is not None and isinstance(size.value, int)
                                else cst.Name("__unknown__"), None)
        return other.batches._class_length(info, call, None, given)

    def _split_sizes(self, call: cst.Call, scope: "Scope | None", depth: int) -> list[Size] | None:
        if self.model.qualname(call.func) not in RANDOM_SPLITS or len(call.args) < 2:
            return None
        lengths = call.args[1].value
        if not isinstance(lengths, (cst.List, cst.Tuple)):
            return None
        values = [self.model.value(e.value, scope) for e in lengths.elements]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return [Size(v) for v in values]
        if not all(isinstance(v, float) for v in values):
            return None
        total = self.length(call.args[0].value, scope, depth + 1)
        if total is None or abs(sum(values) - 1) > 1e-6:
            return None
        sizes = [math.floor(total.value * f) for f in values]
        for i in range(total.value - sum(sizes)):  # torch's round-robin remainder
            sizes[i % len(sizes)] += 1
        return [Size(s) for s in sizes]

    # ------------------------------------------------------------ training use
    def _trainings(self, call: cst.Call, scope: "Scope") -> Iterator[Training]:
        """The loops that train a model on the loader built by ``call``: in this file, or in a trainer
        the loader is handed to."""
        refers = self._reference(call, scope)
        if refers is None:
            return
        seen: set[int] = set()
        for test in (refers, *self._returned_to(call, scope)):
            for loop, env in self._loops_over(test):
                if id(loop) in seen:
                    continue
                seen.add(id(loop))
                yield from self._loop_trainings(loop, env)
            yield from self._handed_over(test)

    def _returned_to(self, call: cst.Call, scope: "Scope") -> list:
        """For a loader a builder of this file returns (``return loader`` or ``return loader, sampler``):
        tests for the names its callers bind it to (``train_loader, sampler = make_loader(...)``)."""
        model = self.model
        parent = model.parent(call)
        function = scope.node
        if not (isinstance(function, cst.FunctionDef) and model.functions.get(function.name.value) is function):
            return []
        if isinstance(parent, cst.Return) and parent.value is call:  # `return DataLoader(...)`
            index = None
        elif isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
            name = parent.targets[0].target.value
            places = set()
            for value in returned_values(function):
                if isinstance(value, cst.Name) and value.value == name:
                    places.add(None)
                elif isinstance(value, cst.Tuple):
                    places |= {i for i, e in enumerate(value.elements) if isinstance(e.value, cst.Name) and e.value.value == name}
            if len(places) != 1 or model.binding(name, scope) is None:
                return []
            index = places.pop()
        else:
            return []
        tests = []
        for site in model.calls:
            func = site.node.func
            if not (isinstance(func, cst.Name) and func.value == function.name.value
                    and model.binding(func.value, site.scope) is None):
                continue
            if index is None:
                tests.append(self._reference(site.node, site.scope))
                continue
            outer = model.parent(site.node)
            target = outer.targets[0].target if isinstance(outer, cst.Assign) and len(outer.targets) == 1 else None
            element = target.elements[index].value if isinstance(target, cst.Tuple) and index < len(target.elements) else None
            if isinstance(element, cst.Name):
                tests.append(lambda expr, at, n=element.value, c=site.node: (
                    isinstance(expr, cst.Name) and expr.value == n and _unpacked_from(model, n, at, c, index)))
        return [test for test in tests if test is not None]

    def _reference(self, call: cst.Call, scope: "Scope"):
        """A test of whether an expression (seen from a scope) is the loader ``call`` builds."""
        model = self.model
        parent = model.parent(call)
        target: cst.BaseExpression | None = None
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and parent.value is call:
            target = parent.targets[0].target
        split = self._split_entry(call)
        if split is not None:
            return split
        if target is None:
            # for batch in DataLoader(...) / fit(model, DataLoader(...))
            def refers(expr: cst.BaseExpression, at: "Scope") -> bool:
                return expr is call
        elif isinstance(target, cst.Name):
            name = target.value

            def refers(expr: cst.BaseExpression, at: "Scope") -> bool:
                if not isinstance(expr, cst.Name) or expr.value != name:
                    return False
                bound = model.binding(name, at)
                return bound is not None and bound[0] is call
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
            info = model.enclosing_class(scope)
            attr = target.attr.value
            values = info.attributes.get(attr, []) if info else []
            if len(values) != 1:
                return None

            def refers(expr: cst.BaseExpression, at: "Scope") -> bool:
                return (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
                        and expr.value.value == "self" and expr.attr.value == attr
                        and model.enclosing_class(at) is info)
        else:
            return None
        return refers

    def _split_entry(self, call: cst.Call):
        """For the training loader of a dict of loaders keyed by split, as in PyTorch's transfer-learning
        tutorial (``dataloaders = {x: DataLoader(...) for x in ['train', 'val']}``, or a dict display with
        a ``'train'`` entry): a test of whether an expression is that entry, ``dataloaders['train']`` or
        ``dataloaders[phase]`` in a ``for phase in ['train', 'val']`` loop, also inside a function the dict
        is handed to. None for any other loader, and for the other splits' entries."""
        model = self.model
        parent = model.parent(call)
        if isinstance(parent, cst.DictElement) and parent.value is call:
            key = literal_string(parent.key) if isinstance(parent.key, cst.SimpleString) else None
            keys = {key} if isinstance(key, str) and _is_train_split(key) else set()
            built = model.parent(parent)
        elif isinstance(parent, cst.DictComp) and parent.value is call and parent.for_in.inner_for_in is None \
                and isinstance(parent.for_in.target, cst.Name):
            keys = {k for k in _literal_strings(parent.for_in.iter) if _is_train_split(k)}
            built = parent
        else:
            return None
        assign = model.parent(built)
        if not keys or not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and assign.value is built
                            and isinstance(assign.targets[0].target, cst.Name)):
            return None
        name = assign.targets[0].target.value

        def entry_key(expr: cst.BaseExpression) -> bool:
            """``d['train']`` / ``d[phase]`` (``phase`` a loop's variable over literal splits with 'train')."""
            index = expr.slice[0].slice if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 else None
            index = index.value if isinstance(index, cst.Index) else None
            if isinstance(index, cst.SimpleString):
                return literal_string(index) in keys
            if isinstance(index, cst.Name):
                loop = next((a for a in model.ancestors(expr) if isinstance(a, cst.For) and isinstance(a.target, cst.Name)
                             and a.target.value == index.value), None)
                return loop is not None and bool(keys & set(_literal_strings(loop.iter)))
            return False

        def refers(expr: cst.BaseExpression, at: "Scope") -> bool:
            if isinstance(expr, cst.Name) and isinstance(model.parent(expr), cst.Arg):  # handed to a trainer
                bound = model.binding(name, at)
                return expr.value == name and bound is not None and bound[0] is built
            if not (isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name) and expr.value.value == name
                    and entry_key(expr)):
                return False
            bound = model.binding(name, at)
            return bound is not None and bound[0] is built

        refers.entry_key = entry_key  # type: ignore[attr-defined]  (for `dataloaders[phase]` in a trainer)
        return refers

    def _loops_over(self, refers) -> Iterator[tuple[cst.For, dict]]:
        model = self.model
        for loop in self._loops_with_iter(refers):
            yield loop, {}
        for loop in self._loops_with_next(refers):
            yield loop, {}
        # train(model, train_loader, optimizer): loops over the parameter inside `train`
        for site in model.calls:
            for arg in site.node.args:
                if arg.star or not refers(arg.value, site.scope):
                    continue
                function, params = self._callee(site.node, site.scope)
                if function is None:
                    continue
                env = _bind_call(site.node, params, site.scope)
                if env is None:
                    continue
                param = next((p for p, (v, _s) in env.items() if v is arg.value), None)
                if param is None:
                    continue
                function_scope = model.scopes.get(function)

                def is_param(e, s, p=param, f=function_scope):
                    entry_key = getattr(refers, "entry_key", None)
                    if isinstance(e, cst.Subscript) and entry_key is not None and entry_key(e):
                        e = e.value  # (`dataloaders[phase]` of the dict of loaders by split it is given)
                    return isinstance(e, cst.Name) and e.value == p and _param_of(p, s) is not None \
                        and _param_of(p, s)[1] is f.node

                for loop in self._loops_with_iter(is_param, within=function):
                    yield loop, env
                for loop in self._loops_with_next(is_param):  # `it = iter(loader)` ... `next(it)` in an iteration loop
                    yield loop, env

    def _callee(self, call: cst.Call, scope: "Scope") -> tuple[cst.FunctionDef | None, list[str]]:
        model = self.model
        func = call.func
        if isinstance(func, cst.Name) and func.value in model.functions and model.binding(func.value, scope) is None:
            function = model.functions[func.value]
            return function, [p.name.value for p in function.params.posonly_params + function.params.params]
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
            info = model.enclosing_class(scope)
            function = info.methods.get(func.attr.value) if info else None
            if function is not None:
                return function, [p.name.value for p in function.params.posonly_params + function.params.params][1:]
        return None, []

    def _loops_with_iter(self, matches, within: cst.CSTNode | None = None) -> Iterator[cst.For]:
        model = self.model
        for node in model.nodes_of(within or model.module, cst.For):
            if matches(self._iterated(node), model.scope_of(node)):  # (through `enumerate(tqdm(loader))`)
                yield node

    def _loops_with_next(self, refers) -> Iterator[cst.For | cst.While]:
        """The innermost loops that draw batches with ``next(it)`` where every binding of ``it`` is
        ``iter(loader)`` (re-made when it runs out), or with ``next(iter(loader))``."""
        model = self.model
        for site in model.calls:
            call = site.node
            if not (isinstance(call.func, cst.Name) and call.func.value == "next" and len(call.args) == 1):
                continue
            if not isinstance(model.parent(call), cst.Assign):
                continue  # (a batch handed straight to a helper, `show(G, next(iter(val_loader)))`, is no training batch)
            drawn = call.args[0].value
            if isinstance(drawn, cst.Name):
                bound = model.bindings(drawn.value, site.scope)
                sources = [(value, bound[1]) for value in bound[0]] if bound is not None else []
            else:
                sources = [(drawn, site.scope)]
            if not sources or not all(isinstance(value, cst.Call) and isinstance(value.func, cst.Name)
                                      and value.func.value == "iter" and self._iter_wrapper(value)
                                      and refers(value.args[0].value, at) for value, at in sources):
                continue
            loop = next((node for node in model.ancestors(call) if isinstance(node, (cst.For, cst.While))), None)
            if loop is not None:
                yield loop

    def _iter_wrapper(self, expr: cst.BaseExpression) -> bool:
        """``enumerate(x)``, ``tqdm(x)``, ``iter(x)``: iterating it iterates ``x``."""
        if not (isinstance(expr, cst.Call) and expr.args and not expr.args[0].keyword):
            return False
        qn = self.model.qualname(expr.func) or (expr.func.value if isinstance(expr.func, cst.Name) else "")
        if qn in _ITER_WRAPPERS:
            return True
        return isinstance(expr.func, cst.Attribute) and self._yields_items(expr.func.attr.value)

    def _yields_items(self, method: str) -> bool:
        """Whether every ``def method(self, iterable, ...)`` of this file's classes and the project files it
        imports yields the items of its first argument (``for obj in iterable: ... yield obj``): torchvision's
        reference ``MetricLogger.log_every(data_loader, print_freq)``. Read from the text."""
        texts = self.model.method_texts(method)
        return bool(texts) and all(_YIELDS_ITEMS.search(text) for text in texts)

    def _loop_trainings(self, loop: cst.For, env: dict) -> Iterator[Training]:
        model = self.model
        for expr, at in self._trained_calls(loop):
            found = self.kind(expr, at, env)
            if found is None:
                continue
            kind, ddp, label = found
            if self._set_to_eval(model.code(expr), loop):
                continue
            yield Training(loop, label, kind, ddp)

    def _trained_calls(self, loop: cst.For) -> list[tuple[cst.BaseExpression, "Scope"]]:
        """What a loop with a training step (``backward()``, an optimizer step, a helper that runs
        ``backward()``) calls outside ``no_grad``, with its scope: the models it may train. Empty for
        a loop without a training step."""
        model = self.model
        if self._under_no_grad(loop):
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
                helper, params = self._callee(node, scope)
                if helper is not None and _has_backward(helper):
                    trains = True
                    candidates += [(a.value, scope) for a in node.args if not a.star]
                elif helper is not None and _calls_a_parameter(helper, params):
                    # `loss = swav_loss(model, x)` ... `loss.backward()`: the helper runs the model it is given
                    candidates += [(a.value, scope) for a in node.args if not a.star]
            if isinstance(func, (cst.Name, cst.Attribute)) and not self._under_no_grad(node, stop=loop):
                candidates.append((func, scope))
        return candidates if trains else []

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
                    ctor = _bind_call(call, _init_params(info), scope)
                    stored = _init_stores(info)
                    held = next((attr for attr, param in stored.items() if ctor and param in ctor
                                 and ctor[param][0] is arg.value), None)
                    if held is None or ctor is None:
                        continue
                    for method in _reached(info, self._methods_called(call, scope, info)):
                        for source, trained in owner.batches.loops_training(method):
                            if source == f"self:{held}":
                                yield from self._handed_training(trained, {}, ctor, stored)
                    continue
                if model.binding(func.value, scope) is None and func.value in model.imports:
                    found_fn = model.imported(model.imports[func.value], "def")
                    function = found_fn[0].functions.get(found_fn[1]) if found_fn is not None else None
                    if function is not None and found_fn[0] is not model:  # train(model, loader) of another file
                        env = _bind_call(call, _params(function), scope)
                        yield from self._given(found_fn[0], function, env, arg, {}, {})
            elif isinstance(func, cst.Attribute):
                instance = self._instance(func.value, scope)  # trainer.fit(loader), Trainer(model).fit(loader)
                if instance is None:
                    continue
                owner, info, ctor_call, ctor_scope = instance
                method = info.methods.get(func.attr.value)
                if method is None:
                    continue
                env = _bind_call(call, _params(method)[1:], scope)
                ctor = _bind_call(ctor_call, _init_params(info), ctor_scope) or {}
                yield from self._given(owner, method, env, arg, ctor, _init_stores(info))

    def _given(self, owner: "FileModel", function: cst.FunctionDef, env: dict | None, arg: cst.Arg,
               ctor: dict, stored: dict[str, str]) -> Iterator[Training]:
        """The trainings of ``function`` (of ``owner``'s file) over the parameter that ``arg`` binds."""
        if env is None:
            return
        param = next((p for p, (v, _s) in env.items() if v is arg.value), None)
        if param is None:
            return
        for source, trained in owner.batches.loops_training(function):
            if source == f"param:{param}":
                yield from self._handed_training(trained, env, ctor, stored)

    def _handed_training(self, trained: str, env: dict, ctor: dict, stored: dict[str, str]) -> Iterator[Training]:
        """The Training of the model a trainer's loop runs (``param:model`` or ``self:model``), as the
        caller's argument for it shows."""
        where, _, name = trained.partition(":")
        bound = env.get(name) if where == "param" else ctor.get(stored.get(name, ""))
        if bound is None:
            return
        found = self.kind(bound[0], bound[1])
        if found is not None:
            kind, ddp, label = found
            yield Training(None, label, kind, ddp)  # type: ignore[arg-type]  (the loop is in the trainer)

    def loops_training(self, function: cst.FunctionDef, depth: int = 0) -> list[tuple[str, str]]:
        """(loader, model) for the loops of ``function`` that train a model on batches of a loader it
        is given, each as ``param:<name>`` or ``self:<attribute>``, through helpers of this file it calls."""
        key = (function, depth)
        cached = self._trainer_loops.get(key)
        if cached is not None:
            return cached
        self._trainer_loops[key] = []
        model = self.model
        found: list[tuple[str, str]] = []
        for node in walk(function.body):
            if isinstance(node, cst.For):
                source = self._given_ref(self._iterated(node), model.scope_of(node), function)
                if source is None:
                    continue
                for expr, at in self._trained_calls(node):
                    trained = self._given_ref(expr, at, function)
                    if trained is not None and not self._set_to_eval(model.code(expr), node):
                        found.append((source, trained))
            elif isinstance(node, cst.Call) and depth < 2:  # fit(loader) -> self._train_epoch(loader)
                helper, params = self._callee(node, model.scope_of(node))
                env = _bind_call(node, params, model.scope_of(node)) if helper is not None else None
                for source, trained in self.loops_training(helper, depth + 1) if env is not None else ():
                    mapped = [_map_ref(ref, env, model.scope_of(node), function, self) for ref in (source, trained)]
                    if None not in mapped:
                        found.append((mapped[0], mapped[1]))  # type: ignore[arg-type]
        self._trainer_loops[key] = found
        return found

    def _given_ref(self, expr: cst.BaseExpression, scope: "Scope", function: cst.FunctionDef) -> str | None:
        """``param:<name>`` for a parameter of ``function``, ``self:<attr>`` for ``self.<attr>``."""
        if isinstance(expr, cst.Name):
            found = _param_of(expr.value, scope)
            return f"param:{expr.value}" if found is not None and found[1] is function else None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            return f"self:{expr.attr.value}"
        return None

    def _iterated(self, loop: cst.For) -> cst.BaseExpression:
        """What a loop iterates, through ``enumerate(tqdm(loader))`` and ``it = tqdm(loader)``."""
        expr = loop.iter
        scope = self.model.scope_of(loop)
        for _ in range(4):
            if isinstance(expr, cst.Name):
                bound = self.model.binding(expr.value, scope)
                if bound is not None and isinstance(bound[0], cst.Call) and self._iter_wrapper(bound[0]):
                    expr = bound[0]
            if self._iter_wrapper(expr):
                expr = expr.args[0].value
                continue
            break
        return expr

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

    def _under_no_grad(self, node: cst.CSTNode, stop: cst.CSTNode | None = None) -> bool:
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

    def _set_to_eval(self, label: str, loop: cst.For) -> bool:
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

    # ------------------------------------------------------------------ models
    def kind(self, expr: cst.BaseExpression, scope: "Scope | None", env: dict | None = None,
             depth: int = 0) -> tuple[ModelKind, bool, str] | None:
        """(kind, through DDP, label) of a model expression, following wrappers and re-bindings."""
        model = self.model
        if depth > _MAX_DEPTH:
            return None
        label = model.code(expr)
        if isinstance(expr, cst.Name):
            if env and expr.value in env and _param_of(expr.value, scope) is not None:
                value, value_scope = env[expr.value]
                found = self.kind(value, value_scope, None, depth + 1)
                return (found[0], found[1], found[2] or label) if found else None
            values, value_scope = _all_bindings(expr.value, scope, model, expr)
            if not values:
                unpacked = model.unpacked(expr.value, scope)  # `model, tf = build_model()`
                kind = element_kind(model, *unpacked) if unpacked is not None else None
                if kind is None:
                    return self._passed_kind(expr.value, scope, depth)
                return (kind, False, label)
            results = []
            for value in values:
                if swaps_batchnorm(model, value):
                    return None  # `net = strip_batchnorm(net)`
                if _refers_to(value, expr.value):
                    results.append((None, isinstance(value, cst.Call) and model.qualname(value.func) in DDP))
                    continue
                found = self.kind(value, value_scope, None, depth + 1)
                if found is None:
                    return None
                results.append((found[0], found[1]))
            kinds = {k for k, _ in results if k is not None}
            if len(kinds) != 1:
                return None
            return kinds.pop(), any(d for _, d in results), label or expr.value
        if isinstance(expr, cst.Attribute):
            if expr.attr.value == "module":
                return self.kind(expr.value, scope, env, depth + 1)
            if isinstance(expr.value, cst.Name) and expr.value.value == "self":
                info = model.enclosing_class(scope)
                values = info.attributes.get(expr.attr.value, []) if info else []
                if len(values) != 1:
                    return None
                found = self.kind(values[0][0], values[0][1], None, depth + 1)
                return (found[0], found[1], label) if found else None
            return None
        if isinstance(expr, cst.Call):
            qn = model.qualname(expr.func)
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in _SAME_MODEL_METHODS and qn is None:
                return self.kind(func.value, scope, env, depth + 1)
            if isinstance(func, cst.Name) and func.value in model.functions and model.binding(func.value, scope) is None:
                # a local builder: `def build_model(): return nn.Sequential(...)`
                function = model.functions[func.value]
                returns = [r for r in returned_values(function) if r is not None]
                inner = model.scopes.get(function)
                found = [self.kind(r, inner, None, depth + 1) for r in returns]
                if not found or any(f is None for f in found) or len({f[0] for f in found}) != 1:
                    return None
                return found[0][0], any(f[1] for f in found), label
            if qn in WRAPPERS and expr.args and not expr.args[0].keyword:
                found = self.kind(expr.args[0].value, scope, env, depth + 1)
                return (found[0], found[1] or qn in DDP, found[2]) if found else None
            if overrides_train(model, expr.func):
                return None  # the class sets its own layers' modes in train(): its BatchNorm may never train
            kind = model_kind(model, expr, scope)
            return (kind, False, label) if kind is not None else None
        return None

    def trains_batchnorm(self) -> bool:
        """Whether some loop of this file trains a BatchNorm model (whatever it iterates: a loader
        returned by a builder, a generator, a list of batches)."""
        return any(training.kind is ModelKind.BN for loop in self.model.nodes_of(self.model.module, cst.For)
                   for training in self._loop_trainings(loop, {}))

    def _passed_kind(self, name: str, scope: "Scope | None", depth: int) -> tuple[ModelKind, bool, str] | None:
        """A parameter (``def pretrain(model, ...)``): the kind every call of the function in this file
        passes, when they agree."""
        found = _param_of(name, scope)
        function = found[1] if found is not None else None
        if function is None or self.model.functions.get(function.name.value) is not function:
            return None
        params = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
        results = set()
        for site in self.model.calls:
            if not (isinstance(site.node.func, cst.Name) and site.node.func.value == function.name.value):
                continue
            env = _bind_call(site.node, params, site.scope)
            if env is None or name not in env:
                return None
            kind = self.kind(env[name][0], env[name][1], None, depth + 1)
            if kind is None:
                return None
            results.add(kind[:2])
        if len(results) != 1:
            return None
        kind, ddp = results.pop()
        return kind, ddp, name

    # -------------------------------------------------------------- distribution
    @property
    def uses_sync_batchnorm(self) -> bool:
        return bool(self.sync_calls) or "SyncBatchNorm" in self.model.source

    def distributed_anywhere(self) -> bool:
        """Whether this file's code (not its comments: "trimmed down from our DDP script"), or a project
        file it imports, shows any sign of a process group / launcher."""
        return self._mentioned_here_or_imported(_DISTRIBUTED_MARKERS, _without_comments(self.model.source))

    def sync_batchnorm_anywhere(self) -> bool:
        """Whether this file, or a project file it imports, converts to (or builds) SyncBatchNorm."""
        return self.uses_sync_batchnorm or self._mentioned_here_or_imported(("SyncBatchNorm", "sync_batchnorm"))

    def _mentioned_here_or_imported(self, markers: tuple[str, ...], here: str | None = None) -> bool:
        model = self.model
        here = model.source if here is None else here
        if any(marker in here for marker in markers):
            return True
        return model.project is not None and any(
            model.project.mentions(path, marker) for path in model.imported_project_paths for marker in markers)


# ---------------------------------------------------------------- helpers
def _is_train_split(key: str) -> bool:
    """A dict key that names the training split: 'train', 'training', 'train_aug' (not 'val', 'test')."""
    return key.lower().startswith("train")


def _literal_strings(expr: cst.BaseExpression) -> list[str]:
    """The strings of a list or tuple display of string literals (``['train', 'val']``); [] for anything else."""
    if not isinstance(expr, (cst.List, cst.Tuple)):
        return []
    values = [literal_string(e.value) if isinstance(e.value, cst.SimpleString) else None for e in expr.elements]
    return [v for v in values if isinstance(v, str)] if all(isinstance(v, str) for v in values) else []


def _without_comments(source: str) -> str:
    """``source`` without its comments (strings kept: a docstring's ``torchrun`` usage line counts)."""
    import io
    import tokenize

    try:
        tokens = [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type != tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError):  # pragma: no cover - the file compiled
        return source
    return " ".join(tokens)


def _is_convert_sync(call: cst.Call, qn: str | None) -> bool:
    if qn and qn.endswith("convert_sync_batchnorm"):
        return True
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "convert_sync_batchnorm"


def bind_args(call: cst.Call, params: tuple[str, ...]) -> dict[str, cst.Arg] | None:
    """Arguments by parameter name; None when ``*args`` / ``**kwargs`` make them uncertain."""
    found: dict[str, cst.Arg] = {}
    index = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is not None:
            found[arg.keyword.value] = arg
        else:
            if index < len(params):
                found[params[index]] = arg
            index += 1
    return found


def _attribute_key(target: cst.BaseExpression) -> tuple[str, str] | None:
    """``self.n`` -> ("self", "n")."""
    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
        return target.value.value, target.attr.value
    return None


def _params_bound(params: list[cst.Param], call: cst.Call, scope: "Scope | None") -> dict:
    """param -> (the argument ``call`` gives it, ``scope``), positional then by keyword."""
    bound = {param: (value, scope) for param, value in zip(params, [a.value for a in call.args if a.keyword is None])}
    for arg in call.args:
        param = next((p for p in params if arg.keyword is not None and p.name.value == arg.keyword.value), None)
        if param is not None:
            bound[param] = (arg.value, scope)
    return bound


def _bind_call(call: cst.Call, params: list[str], scope: "Scope") -> dict[str, tuple[cst.BaseExpression, "Scope"]] | None:
    env: dict[str, tuple[cst.BaseExpression, Scope]] = {}
    index = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is not None:
            env[arg.keyword.value] = (arg.value, scope)
        elif index < len(params):
            env[params[index]] = (arg.value, scope)
            index += 1
    return env


_REDUCTIONS = frozenset({"mean", "std", "var", "sum", "amax", "amin", "max", "min", "median", "norm"})


def _keeps_length(model: "FileModel", expr: cst.BaseExpression, name: str, scope: "Scope | None") -> bool:
    """Whether ``expr`` has the rows of ``name``: ``name`` itself, a same-length method of it, or arithmetic
    with a number or a reduction (``x.mean(0)``, or a name bound to one once), which broadcast over the rows."""
    if isinstance(expr, cst.Name):
        return expr.value == name
    if isinstance(expr, cst.UnaryOperation):
        return _keeps_length(model, expr.expression, name, scope)
    if isinstance(expr, cst.BinaryOperation):
        for one, other in ((expr.left, expr.right), (expr.right, expr.left)):
            if _keeps_length(model, one, name, scope) and _broadcasts(model, other, scope):
                return True
        return False
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _SAME_LENGTH_METHODS:
        return _keeps_length(model, expr.func.value, name, scope)
    return False


def _broadcasts(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None") -> bool:
    """A number, or a reduction of a tensor (``mean``, ``std(0)``): it adds no rows when broadcast."""
    if isinstance(expr, cst.Name):
        bound = model.binding(expr.value, scope)
        if bound is None:
            return False
        expr = bound[0]
    value = model.value(expr, scope)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    if isinstance(expr, cst.BinaryOperation):  # `x.std(0) + 1e-6`
        return _broadcasts(model, expr.left, scope) and _broadcasts(model, expr.right, scope)
    if not isinstance(expr, cst.Call):
        return False
    if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _REDUCTIONS:
        return True
    # a vector: `torch.linspace(-1, 1, n)`, `torch.arange(n)`, `torch.zeros(n)`
    qn = model.qualname(expr.func) or ""
    positional = [a for a in expr.args if a.keyword is None]
    if qn in ("torch.linspace", "torch.logspace", "torch.arange"):
        return True
    return qn in ("torch.zeros", "torch.ones", "torch.randn", "torch.rand", "torch.empty") and len(positional) == 1 \
        and not isinstance(positional[0].value, (cst.Tuple, cst.List)) and not positional[0].star


def _unpacked_from(model: "FileModel", name: str, scope: "Scope", call: cst.Call, index: int) -> bool:
    """``name`` is bound once, to element ``index`` of what ``call`` returns."""
    found = model.unpacked(name, scope)
    return found is not None and found[0] is call and found[1] == index


def _copied_config(model: "FileModel", function: cst.FunctionDef) -> str | None:
    """The module-level dict ``function`` returns a copy of (``cfg = copy.deepcopy(CONFIG) ... return cfg``),
    when it assigns into the copy only under computed keys (``cfg[key] = value``: overrides)."""
    returned = returned_values(function)
    if not returned or not all(isinstance(r, cst.Name) for r in returned) or len({r.value for r in returned}) != 1:
        return None
    local = returned[0].value
    copies = [n for n in model.nodes_of(function, cst.Assign)
              if any(isinstance(t.target, cst.Name) and t.target.value == local for t in n.targets)]
    if len(copies) != 1:
        return None
    value = copies[0].value
    source = None
    if isinstance(value, cst.Call) and len(value.args) == 1 and isinstance(value.args[0].value, cst.Name) and (
            model.qualname(value.func) in ("copy.deepcopy", "copy.copy") or isinstance(value.func, cst.Name) and value.func.value == "dict"):
        source = value.args[0].value.value
    elif isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Attribute) \
            and value.func.attr.value == "copy" and isinstance(value.func.value, cst.Name):
        source = value.func.value.value
    if source is None or source not in model.module_scope.bindings:
        return None
    for node in model.nodes_of(function, cst.Assign, cst.AugAssign, cst.Call):
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == local \
                    and func.attr.value in ("update", "setdefault", "pop", "clear"):
                return None
            continue
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        for target in targets:
            keys = []
            while isinstance(target, cst.Subscript):  # (`cfg["train"]["batch_size"] = ...` too)
                keys.append(target.slice[0].slice if len(target.slice) == 1 else None)
                target = target.value
            if keys and isinstance(target, cst.Name) and target.value == local and any(
                    not isinstance(key, cst.Index) or model.value(key.value, None) is not UNKNOWN for key in keys):
                return None  # a key it spells out: not an override
    return source


def _calls_a_parameter(function: cst.FunctionDef, params: list[str]) -> bool:
    """Whether ``function`` calls one of ``params`` (``def loss(model, x): return f(model(x))``)."""
    return any(isinstance(call.func, cst.Name) and call.func.value in params for call in walk(function.body)
               if isinstance(call, cst.Call))


def _with_root(expr: cst.BaseExpression, root: cst.Name) -> cst.BaseExpression:
    """``CFG["train"]["batch_size"]`` with ``CFG`` replaced by ``root``."""
    if isinstance(expr, cst.Subscript):
        return expr.with_changes(value=_with_root(expr.value, root))
    return root


def _params(function: cst.FunctionDef) -> list[str]:
    return [p.name.value for p in function.params.posonly_params + function.params.params]


def _init_params(info: "ClassInfo") -> list[str]:
    init = info.methods.get("__init__")
    return _params(init)[1:] if init is not None else []


def _init_stores(info: "ClassInfo") -> dict[str, str]:
    """attribute -> parameter, for what ``__init__`` keeps on ``self`` as given (see ``stored_on_self``)."""
    init = info.methods.get("__init__")
    stored: dict[str, str] = {}
    for attribute, param in stored_on_self(init) if init is not None else ():
        stored.setdefault(attribute, param)
    return stored


def _reached(info: "ClassInfo", called: set[str]) -> list[cst.FunctionDef]:
    """The methods ``called`` and those they call on ``self``, transitively."""
    todo, seen = [m for m in called if m in info.methods], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in walk(info.methods[name].body):
            if (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name)
                    and node.func.value.value == "self" and node.func.attr.value in info.methods):
                todo.append(node.func.attr.value)
    return [info.methods[name] for name in seen]


def _map_ref(ref: str, env: dict, scope: "Scope", function: cst.FunctionDef, analysis: "BatchAnalysis") -> str | None:
    """A helper's ``param:<name>`` as its caller's reference (``self:`` ones are the same object)."""
    where, _, name = ref.partition(":")
    if where == "self":
        return ref
    bound = env.get(name)
    return analysis._given_ref(bound[0], bound[1], function) if bound is not None else None


def _param_of(name: str, scope: "Scope | None") -> tuple[cst.Param, cst.FunctionDef | None] | None:
    """The parameter ``name`` refers to from ``scope`` (nearest enclosing function), if it is one."""
    current = scope
    while current is not None:
        if current.kind == "class":
            current = current.parent
            continue
        if name in current.bindings or name in current.opaque:
            return None
        if name in current.params:
            node = current.node
            return current.params[name], node if isinstance(node, cst.FunctionDef) else None
        current = current.parent
    return None


def _all_bindings(name: str, scope: "Scope | None", model: "FileModel | None" = None,
                  use: cst.CSTNode | None = None) -> tuple[list[cst.BaseExpression], "Scope | None"]:
    """Every value ``name`` is assigned in the scope that binds it; none when something else binds it
    too (a loop, an import, ``+=``), unless that is only a loop that starts after ``use`` and does not
    hold it (``model = build()`` ... ``for model in fold_models:`` at the end)."""
    current = scope
    while current is not None:
        if current.kind == "class" and current is not scope:
            current = current.parent
            continue
        if name in current.params:
            return [], None
        if name in current.opaque and not (model is not None and use is not None and current.bindings.get(name)
                                           and _only_later_loops(model, name, current, use)):
            return [], None
        if name in current.bindings:
            return current.bindings[name], current
        current = current.parent
    return [], None


def _only_later_loops(model: "FileModel", name: str, scope: "Scope", use: cst.CSTNode) -> bool:
    """Whether every binding of ``name`` in ``scope`` other than a plain assignment is the target of a
    ``for`` loop that starts after ``use`` and does not contain it."""
    at = model.line_of(use) or 0
    for node in walk(scope.node):
        if node is not scope.node and isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue  # (their own scopes; walk still descends, so check what holds each node below)
        if isinstance(node, cst.For):
            if any(isinstance(n, cst.Name) and n.value == name for n in walk(node.target)):
                if (model.line_of(node) or 0) <= at or any(a is node for a in model.ancestors(use)):
                    return False
        else:
            bound = _bound_by(node)
            if bound is not None and any(isinstance(n, cst.Name) and n.value == name for n in walk(bound)):
                return False
    return True


def _bound_by(node: cst.CSTNode) -> cst.CSTNode | None:
    """What a statement or clause other than ``=`` and ``for`` binds (its target), if it binds."""
    if isinstance(node, (cst.AugAssign, cst.NamedExpr)):
        return node.target
    if isinstance(node, cst.WithItem):
        return node.asname
    if isinstance(node, cst.ExceptHandler):
        return node.name
    if isinstance(node, (cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal)):
        return node
    return None


def _refers_to(value: cst.BaseExpression, name: str) -> bool:
    """``model = model.to(device)`` / ``model = DDP(model, ...)`` / ``model = DataParallel(model).cuda()``:
    a re-binding of the same model."""
    while isinstance(value, cst.Call):
        if value.args:
            first = value.args[0].value
            while isinstance(first, cst.Call) and isinstance(first.func, cst.Attribute):
                first = first.func.value  # DDP(model.to(rank))
            if isinstance(first, cst.Name) and first.value == name:
                return True
        receiver = value.func
        while isinstance(receiver, cst.Attribute):
            receiver = receiver.value  # model.module.to(rank)
        if isinstance(receiver, cst.Name):
            return receiver.value == name and receiver is not value.func
        value = receiver  # DataParallel(model).cuda(): the call the method is called on
    return False


def _looks_like_optimizer(model: "FileModel", expr: cst.BaseExpression, scope: "Scope") -> bool:
    if isinstance(expr, cst.Attribute):
        return "optim" in expr.attr.value.lower()
    if not isinstance(expr, cst.Name):
        return False
    bound = model.binding(expr.value, scope)
    if bound is not None and isinstance(bound[0], cst.Call):
        qn = model.qualname(bound[0].func) or ""
        if qn.startswith("torch.optim."):
            return True
    lowered = expr.value.lower()
    return "optim" in lowered or lowered in ("opt", "solver")


def _has_backward(function: cst.FunctionDef) -> bool:
    return any(
        isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "backward"
        for n in walk(function)
    )


def _dest(flags: list[str], keywords: dict, model: "FileModel", scope: "Scope | None") -> str | None:
    if "dest" in keywords:
        dest = model.value(keywords["dest"], scope)
        return dest if isinstance(dest, str) else None
    longs = [f for f in flags if f.startswith("--")]
    chosen = longs[0] if longs else flags[0]
    return chosen.lstrip("-").replace("-", "_") or None


def _integer(value: int) -> cst.BaseExpression:
    """The expression of an int (libcst's ``Integer`` holds no sign: a negative one is ``-n``)."""
    return cst.Integer(str(value)) if value >= 0 else cst.UnaryOperation(cst.Minus(), cst.Integer(str(-value)))


def _range_length(arguments: list) -> int | None:
    """``len(range(*arguments))``, or None where Python would raise (a zero step, not ints, over sys.maxsize)."""
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in arguments):
        return None
    try:
        return len(range(*arguments))
    except (ValueError, OverflowError):
        return None
