"""Constants, records and small helpers of the batch analysis (``batches``, ``batch_sizes`` and its mixins,
``dataset_lengths``, ``batch_trainings``, ``loader_loops``, ``model_resolution``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.model import stored_on_self
from bn_lint.semantic.nn_modules.bearing import ModelKind
from bn_lint.semantic.syntax.walk import returned_values, walk
from bn_lint.semantic.syntax.constants import ARITHMETIC, UNKNOWN, literal_string

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.batching.trainings import TrainingDetection
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope

# (PyTorch Geometric's loaders subclass it with the same leading parameters: dataset, batch_size, shuffle, and
# `drop_last` among the keywords it passes on)
DATALOADERS = frozenset({
    "torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader",
    "torch_geometric.loader.DataLoader", "torch_geometric.loader.DenseDataLoader",
    "torch_geometric.data.DataLoader", "torch_geometric.data.DenseDataLoader",
    "torch_geometric.loader.dataloader.DataLoader",
})
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
    drop_last_value: cst.BaseExpression | None = None  # the `drop_last=` argument given, if any
    trains: list[Training] = field(default_factory=list)

    @property
    def bn_training(self) -> Training | None:
        """The first loop that trains a model certainly holding BatchNorm."""
        for training in self.trains:
            if training.kind is ModelKind.BN:
                return training
        return None


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


def _call_of(model: "FileModel", expr: cst.BaseExpression, scope: "Scope") -> cst.Call | None:
    """The call ``expr`` is, or that a name bound to it once (through other names, however many) is."""
    followed: set[int] = set()
    while id(expr) not in followed:
        followed.add(id(expr))
        if isinstance(expr, cst.Call):
            return expr
        if not isinstance(expr, cst.Name):
            return None
        bound = model.binding(expr.value, scope)
        if bound is None:
            return None
        expr, scope = bound
    return None


def _attribute_key(target: cst.BaseExpression) -> tuple[str, str] | None:
    """``self.n`` -> ("self", "n")."""
    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
        return target.value.value, target.attr.value
    return None


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


def _broadcasts(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None",
                seen: frozenset[int] = frozenset()) -> bool:
    """A number, or a reduction of a tensor (``mean``, ``std(0)``): it adds no rows when broadcast. ``seen``: the
    bound values followed on the way (``grids = grids * mask`` reads the value it is bound to: not a number)."""
    if isinstance(expr, cst.Name):
        bound = model.binding(expr.value, scope)
        if bound is None or id(bound[0]) in seen:
            return False
        expr, seen = bound[0], seen | {id(bound[0])}
    value = model.value(expr, scope)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    if isinstance(expr, cst.BinaryOperation):  # `x.std(0) + 1e-6`
        return _broadcasts(model, expr.left, scope, seen) and _broadcasts(model, expr.right, scope, seen)
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


def _map_ref(ref: str, env: dict, scope: "Scope", function: cst.FunctionDef, analysis: "TrainingDetection") -> str | None:
    """A helper's ``param:<name>`` as its caller's reference (``self:`` ones are the same object)."""
    where, _, name = ref.partition(":")
    if where == "self":
        return ref
    bound = env.get(name)
    return analysis._given_ref(bound[0], bound[1], function) if bound is not None else None


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
