"""Train/eval mode flow: which mode each model variable is in at each call.

Every function body (and the module body) is walked statement by statement
through ``if``/``else``, loops (to a fixpoint, so loop-carried modes are seen),
``with``, ``try``, ``break``/``continue``/``return``. A variable's mode is a set
of :class:`Fact` (one per path): ``train`` (built here, ``.train()``,
``torch.load``), ``eval``, ``entry`` (as the caller left it) or ``unknown``.
Calls to functions of this file or of other project files apply the callee's
summary (what it leaves each parameter's mode at on return); unknown callees
that receive a model make its mode unknown. Rules read the recorded sites:
model calls (``uses``), export calls, freezing and training steps.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

import libcst as cst

from .values import UNKNOWN as UNKNOWN_VALUE
from .modules import (
    DETECTORS, _imported_name, _mentions,
    ModelKind, element_kind, library_part_without_bn, model_kind, overrides_train, passed_through, train_sets_modes, tuple_element,
)
from .model import stored_on_self
from .evaluation import eval_data_loop, eval_input, inference_run, reaches_backward_in_order
from .trained import TRAINED, after_training_step, is_loss_value, loss_named
from .walk import children, walk

if TYPE_CHECKING:  # pragma: no cover
    from .model import ClassInfo, FileModel, Scope

TRAIN, EVAL, ENTRY, UNKNOWN_MODE = "train", "eval", "entry", "unknown"


@dataclass(frozen=True)
class Fact:
    """One path's mode for a variable, and where it came from."""

    mode: str
    node: Optional[cst.CSTNode] = None
    why: str = ""  # "built", "train()", "loaded", "helper"
    where: str = ""  # human text: "`.train()` at line 40"
    kind: Optional[ModelKind] = None


_UNKNOWN = frozenset({Fact(UNKNOWN_MODE)})
# added to a module's facts when a part of it changes mode (`self.model.eval()` marks `self`): the whole
# holds mixed modes, while its other parts keep the facts it had (``_lookup``)
_MIXED = Fact(UNKNOWN_MODE, why="mixed")
_CUTS = [0]  # how many times a summary was asked for while it was being worked out (``ModeAnalysis.summary``)
_ENTRY = frozenset({Fact(ENTRY)})

State = dict  # key -> frozenset[Fact]

# Calls that return the model itself.
_PASSTHROUGH = frozenset({"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "requires_grad_", "type",
                          "to_empty", "share_memory"})
# Methods that do not change a model's mode.
# in a method's text: what may change a mode (see ModeAnalysis.method_keeps_modes), and the calls of `self`'s methods
_SETS_MODES = re.compile(r"\.\s*(?:eval|train|apply|requires_grad_?|training)\b|\bsetattr\b|\bexec\b")
_SELF_CALLS = re.compile(r"\bself\s*\.\s*(\w+)\s*\(")
_RUNS_SELF = re.compile(r"\bself\s*(?:\.\s*forward\s*)?\(")
_SAFE_METHODS = _PASSTHROUGH | frozenset({
    "parameters", "named_parameters", "buffers", "named_buffers", "state_dict", "load_state_dict", "zero_grad",
    "update_parameters",  # (torch.optim.swa_utils.AveragedModel: averages the weights it is given)
    "modules", "named_modules", "children", "named_children", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_buffer", "register_parameter", "add_module", "get_submodule",
    "get_parameter", "extra_repr", "__repr__", "numel", "size", "keys", "items", "values", "get", "update",
    # list / dict / set methods (`self.history.append(metrics)`): they hold data, not modes
    "append", "extend", "insert", "pop", "remove", "clear", "add", "discard", "setdefault", "sort", "count", "index",
})
_WRAPPERS = frozenset({
    "torch.nn.DataParallel", "torch.nn.parallel.DataParallel", "torch.nn.parallel.DistributedDataParallel",
    "torch.nn.DistributedDataParallel", "torch.compile", "torch.nn.SyncBatchNorm.convert_sync_batchnorm",
})
_LOADED = frozenset({"torch.load", "torch.jit.load"})
# Methods that may change a module's mode.
_MODE_SETTERS = frozenset({"eval", "train", "apply", "requires_grad_"})
# Copies of a module, in the mode it has at the copy.
_COPIES = frozenset({"copy.deepcopy", "copy.copy", "torch.optim.swa_utils.AveragedModel",
                     # quantization steps: a fused / prepared / converted copy (or the model, inplace=True)
                     "torch.ao.quantization.fuse_modules", "torch.quantization.fuse_modules",
                     "torch.ao.quantization.fuse_modules_qat", "torch.ao.quantization.prepare",
                     "torch.quantization.prepare", "torch.ao.quantization.prepare_qat",
                     "torch.quantization.prepare_qat", "torch.ao.quantization.convert", "torch.quantization.convert"})
# Functions ``model.apply(fn)`` runs on every submodule that never switch a mode
_MODE_KEEPING_APPLIED = frozenset({
    "torch.ao.nn.intrinsic.qat.freeze_bn_stats", "torch.ao.nn.intrinsic.qat.update_bn_stats",
    "torch.nn.intrinsic.qat.freeze_bn_stats", "torch.nn.intrinsic.qat.update_bn_stats",
    "torch.ao.quantization.disable_observer", "torch.ao.quantization.enable_observer",
    "torch.ao.quantization.disable_fake_quant", "torch.ao.quantization.enable_fake_quant",
    "torch.quantization.disable_observer", "torch.quantization.enable_observer",
    "torch.quantization.disable_fake_quant", "torch.quantization.enable_fake_quant",
})
# Callees that receive a model without changing its mode.
_SAFE_CALLEES = frozenset({
    "print", "len", "isinstance", "type", "id", "str", "repr", "hasattr", "getattr", "setattr", "delattr", "sum",
    "enumerate", "zip", "iter", "reversed", "sorted",
    "list", "tuple",
    "torch.save", "torch.jit.trace", "torch.onnx.export", "torch.export.export", "torch.jit.script",
    "torch.jit.trace_module", "torch.onnx.dynamo_export", "torch.fx.symbolic_trace",
    "logging.info",
    "torch.optim.swa_utils.update_bn",  # (puts the model in train mode and back in the mode it found)
}) | _WRAPPERS | _COPIES



# Methods of training helpers that take a model and never switch its mode, by the name of the helper
# object (`accelerator.accumulate(model)`, `fabric.backward(loss)`): HF Accelerate, Lightning Fabric.
_HELPER_METHODS = {
    "accelerator": frozenset({"accumulate", "autocast", "backward", "clip_grad_norm_", "clip_grad_value_",
                              "unwrap_model", "prepare", "prepare_model", "no_sync", "gather", "gather_for_metrics",
                              "reduce", "pad_across_processes", "save_model", "get_state_dict", "print", "log",
                              "save", "wait_for_everyone"}),
    "fabric": frozenset({"setup", "setup_module", "backward", "clip_gradients", "no_backward_sync", "autocast",
                         "all_gather", "all_reduce", "save", "print", "log", "log_dict", "barrier", "to_device"}),
}


def _helper_keeps_modes(func: cst.BaseExpression) -> bool:
    """``self.accelerator.accumulate(model)``: a known training helper's method that leaves modes alone."""
    if not isinstance(func, cst.Attribute):
        return False
    owner = func.value.attr.value if isinstance(func.value, cst.Attribute) else getattr(func.value, "value", None)
    return isinstance(owner, str) and func.attr.value in _HELPER_METHODS.get(owner.lower().lstrip("_"), ())


def _keeps_modes(qn: str | None) -> bool:
    """torch.nn constructors (``nn.Linear(model.fc.in_features, 3)``), ``nn.init`` and ``nn.functional``:
    they never switch a module given to them to train or eval."""
    if not qn or not qn.startswith("torch.nn."):
        return False
    rest = qn[len("torch.nn."):]
    return rest.startswith(("init.", "functional.")) or ("." not in rest and rest[:1].isupper())


_NO_GRAD = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                      "torch.autograd.grad_mode.no_grad", "torch.autograd.grad_mode.inference_mode"})
# Function names that say "evaluation": a strong word anywhere (`run_eval`, `test_epoch`); a weak word
# (also used for input checks: `validate_kwargs`, `infer_dtype`) only alone or with a loop-ish suffix.
_EVAL_WORDS = frozenset({"eval", "evaluate", "evaluation", "evaluator", "val", "test", "testing", "predict",
                         "prediction", "inference", "benchmark"})
_WEAK_EVAL_WORDS = frozenset({"valid", "validate", "validation", "infer"})
_LOOP_SUFFIXES = frozenset({"", "epoch", "one_epoch", "step", "loop", "model", "net", "fn"})
_FRAMEWORK_PREFIXES = ("lightning", "pytorch_lightning", "transformers", "accelerate", "ignite")
_DUMMY_TENSORS = frozenset({"torch.randn", "torch.rand", "torch.zeros", "torch.ones", "torch.empty", "torch.randint"})
_SHAPE_ATTRS = frozenset({"shape", "size", "numel", "dim", "ndim", "ndimension", "dtype", "device"})
_TRAIN_NAME = re.compile(r"(^|_)train(_|$)|^fit(_|$)|_fit$", re.IGNORECASE)
_TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test)\.py$|(^|/)tests?/")


def key_of(expr: cst.BaseExpression) -> str | None:
    """``model`` / ``self.model.backbone`` for plain names and attribute chains."""
    parts = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return None
    parts.append(expr.value)
    return ".".join(reversed(parts))


def _inert(summary: Summary) -> dict | bool:
    """For a function that gives back no model: its parameters, and those whose modules it does something
    to (``touched``: sets a mode, trains, runs, freezes, rebinds); False for one that may give one back."""
    if summary.generator or summary.returns is not None or summary.returned_freezes or summary.element_returns \
            or summary.element_freezes or summary.at_yield:
        return False
    keys = [*summary.effects, *summary.trains, *(param for _, param in summary.entry_uses), *summary.bn_evals,
            *summary.element_modes, *summary.steps, *(key for _, key in summary.freezes)]
    return {"params": list(summary.params), "touched": sorted({key.split(".")[0] for key in keys})}


def _getattr_of(call: cst.Call, *variables: str) -> str | None:
    """``model`` for ``getattr(model, name)`` with ``name`` one of ``variables``."""
    if isinstance(call.func, cst.Name) and call.func.value == "getattr" and len(call.args) == 2 \
            and not any(a.star or a.keyword for a in call.args) and isinstance(call.args[1].value, cst.Name) \
            and call.args[1].value.value in variables:
        return key_of(call.args[0].value)
    return None


def _submodule_key(expr: cst.BaseExpression, state: State) -> str | None:
    """``key_of``, and ``getattr(model, name)``: ``model.conv1`` for a literal name, else ``model``
    itself while none of its parts is in another mode."""
    key = key_of(expr)
    if key is not None or not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name)
                               and expr.func.value == "getattr" and len(expr.args) == 2):
        return key
    owner = key_of(expr.args[0].value)
    name = expr.args[1].value
    if owner is None:
        return None
    if isinstance(name, cst.SimpleString) and str(name.evaluated_value).isidentifier():
        return f"{owner}.{name.evaluated_value}"
    modes = {fact.mode for fact in _lookup(state, owner)}
    return None if any(_child_of(k, owner) and {fact.mode for fact in v} != modes for k, v in state.items()) else owner


_VIEW_METHODS = ("detach", "cpu", "float", "clamp", "mul", "add")  # (`.mul(0.5).add(0.5)`: denormalised for display)
_IMAGE_SINKS = frozenset({"torchvision.utils.save_image", "torchvision.utils.make_grid", "matplotlib.pyplot.imshow",
                          "matplotlib.pyplot.imsave"})


def receiver_key(expr: cst.BaseExpression) -> str | None:
    """``key_of`` through calls that return the model itself: ``model.to(device).cuda()`` -> ``model``."""
    while (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
           and expr.func.attr.value in _PASSTHROUGH):
        expr = expr.func.value
    return key_of(expr)


def _names_read(node: cst.CSTNode) -> Iterable[str]:
    """The simple names in ``node`` (not attribute names, keywords, or nested functions and classes)."""
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current).__name__
        if kind == "Name":
            yield current.value
        elif kind == "Attribute":
            stack.append(current.value)
        elif kind == "Arg":
            stack.append(current.value)
        elif kind not in ("FunctionDef", "ClassDef", "Lambda"):
            stack.extend(children(current))


def _declared_global(node: cst.CSTNode) -> set[str]:
    """The names a function's ``global`` statements declare (its nested functions' are theirs)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current).__name__
        if kind == "Global":
            out.update(item.name.value for item in current.names)
        elif kind not in ("FunctionDef", "ClassDef", "Lambda"):
            stack.extend(children(current))
    return out


def _child_of(key: str, parent: str) -> bool:
    return key.startswith(parent + ".")


def _join(a: State | None, b: State | None) -> State | None:
    if a is None:
        return None if b is None else dict(b)
    if b is None:
        return dict(a)
    out = {}
    for key in a.keys() | b.keys():
        fa, fb = a.get(key), b.get(key)
        if fa is None or fb is None:
            # tracked on one path only: on the other it is whatever its parent is, or unknown
            fa = fa if fa is not None else _lookup(a, key)
            fb = fb if fb is not None else _lookup(b, key)
        out[key] = fa | fb
    return out


def _lookup(state: State, key: str) -> frozenset:
    """The facts of ``key``: its own, else its nearest tracked parent's, else unknown."""
    if key in state:
        return state[key]
    parts = key.split(".")
    for end in range(len(parts) - 1, 0, -1):
        parent = ".".join(parts[:end])
        if parent in state:
            return (state[parent] - {_MIXED}) or _UNKNOWN  # (other parts' changes are not this one's)
    return _UNKNOWN


def _set(state: State, key: str, facts: frozenset) -> None:
    for other in [k for k in state if _child_of(k, key)]:
        state[other] = facts
    state[key] = facts
    # a submodule's mode change makes its parents mixed
    parts = key.split(".")
    for end in range(1, len(parts)):
        parent = ".".join(parts[:end])
        if parent in state and state[parent] != facts:
            state[parent] = state[parent] | {_MIXED}


def _forget(state: State, key: str) -> None:
    for other in [k for k in state if k == key or _child_of(k, key)]:
        del state[other]


def describe(analysis: "ModeAnalysis", facts: Iterable[Fact], mode: str = TRAIN) -> str:
    """``built at line 12 (...)``; ``.train()`` at line 40`` for the facts of one mode."""
    found = sorted({(analysis.line(f.node), f.where) for f in facts if f.mode == mode and f.where and f.node})
    return "; ".join(where.format(line=line) for line, where in found)


@dataclass
class Site:
    node: cst.CSTNode
    key: str
    facts: frozenset
    scope: "Scope"
    # ``ema.module(x)`` on a parameter ``ema``: a submodule call only where every caller follows that very
    # attribute as a model (elsewhere it may be a method: ``ema.update(model)``)
    exact: bool = False


@dataclass
class HelperEval:
    """A call of another file's function that runs a module given to it for evaluation, in the mode it has."""

    site: Site  # the call in this file, the module passed and its facts there
    callee: "ModeAnalysis"  # the other file's analysis
    summary: "Summary"
    use: cst.CSTNode  # where the callee runs the module
    reason: str


@dataclass
class Watch:
    """A module frozen (``requires_grad_(False)``) or put in eval on its own, seen at later training steps."""

    node: cst.CSTNode  # the freezing / eval statement
    key: str
    reason: str  # "frozen" | "eval"
    facts: frozenset  # its mode at the training steps after it
    train_site: cst.CSTNode
    trained_key: str
    scope: "Scope"


@dataclass
class Summary:
    """What a function leaves its parameters' (and ``self``'s) modes at, and which it trains."""

    effects: dict[str, frozenset] = field(default_factory=dict)  # key rooted in a param -> exit facts
    trains: set[str] = field(default_factory=set)  # params run in a training step in their entry mode
    entry_uses: list[tuple[cst.Call, str]] = field(default_factory=list)  # params called in their entry mode
    # params run for evaluation in their entry mode: param -> (the call that runs it, why it is an evaluation);
    # worked out from ``entry_uses`` on first need (``ModeAnalysis.evaluations``)
    evaluates: dict[str, tuple[cst.CSTNode, str]] | None = None
    bn_evals: set[str] = field(default_factory=set)  # keys rooted in a param whose BatchNorm layers it puts in eval
    element_modes: set[str] = field(default_factory=set)  # params whose items it sets a mode on (`for m in frozen: m.eval()`)
    generator: bool = False
    steps: dict[str, frozenset] = field(default_factory=dict)  # params run in a training step -> modes there
    freezes: list[tuple[cst.CSTNode, str]] = field(default_factory=list)  # (node, key rooted in a param) frozen
    # (node, key under the returned model: "" for all of it) of BatchNorm-bearing modules it freezes and gives
    # back (`backbone.requires_grad_(False); return nn.Sequential(backbone, head)`)
    returned_freezes: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    # freezing node -> the flags among the parameters it runs under (`if feature_extract:` -> [("feature_extract", True)])
    freeze_tests: dict[cst.CSTNode, list[tuple[str, bool]]] = field(default_factory=dict)
    returns: frozenset | None = None  # the mode of the model it returns, when every `return` gives one back
    # index -> the mode of the model at that place of the tuple every `return` gives (`return model, tf`)
    element_returns: dict[int, frozenset] = field(default_factory=dict)
    element_freezes: dict[int, list[tuple[cst.CSTNode, str]]] = field(default_factory=dict)  # as returned_freezes
    # module-level variables it reads (itself or through this file's functions it calls): implicit
    # parameters, passed by every caller that sees the same variable
    globals: list[str] = field(default_factory=list)
    at_yield: dict[str, frozenset] = field(default_factory=dict)  # like ``effects``, at its `yield`
    params: list[str] = field(default_factory=list)
    name: str = ""
    path: str = ""
    # for a function nested in another: the enclosing function's scope, whose variables ``globals`` are
    # (closure variables: `def run_eval(): model.eval() ...` inside `main`, which calls it)
    closure: "Scope | None" = None


class ModeAnalysis:
    """Mode flow for every function of one file; built lazily, shared by BN1xx rules."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model
        self.uses: dict[cst.CSTNode, Site] = {}  # model(x) / model.forward(x)
        # uses on the paths where `torch.set_grad_enabled(cond)` turns gradients off and nothing trains
        # (`phase == 'val'` in a `for phase in ('train', 'val')` loop) -> (their site, why)
        self.path_evals: dict[cst.CSTNode, tuple[Site, str]] = {}
        self.exports: dict[cst.CSTNode, Site] = {}  # export call -> the exported model
        self.train_uses: dict[cst.CSTNode, Site] = {}  # training forward passes / training helper calls
        self.helper_evals: dict[tuple[cst.CSTNode, str], HelperEval] = {}  # (call, param) -> another file evaluates
        # mode changes that do not happen (`model.eval` uncalled, `model.training = False`), with the module
        # and the scope: BN102 reports them; BN101 reports the first evaluation they leave in training mode
        self.slips: list[tuple[cst.CSTNode, str, "Scope"]] = []
        self.freezes: dict[cst.CSTNode, Site] = {}  # requires_grad(False) on a module
        # local function param -> (argument key, the caller's state, the calling function or module) at each call
        self.call_args: dict[str, list[tuple[str, State, cst.CSTNode]]] = {}
        # method -> (the state at each call, the method that makes it: `self.method()`; None from outside)
        self.method_calls: dict[cst.CSTNode, list[tuple[State, cst.FunctionDef | None]]] = {}
        # watched module (frozen, or a submodule put in eval) -> its facts at later training steps
        self.watched: dict[cst.CSTNode, Watch] = {}
        self.summaries: dict[cst.CSTNode, Summary] = {}
        self._in_progress: set[cst.CSTNode] = set()
        self.cut_short: set[cst.CSTNode] = set()  # functions whose summary a cycle of calls cut short
        self._trainer_functions: dict[cst.CSTNode, bool] = {}
        self._decorated: dict[cst.CSTNode, bool] = {}  # function -> under a mode-setting decorator
        self._at_rest_held: dict[tuple[cst.CSTNode, str], bool] = {}  # (method, attribute) -> as __init__ left it
        self._training_steps: dict[tuple[cst.CSTNode, bool], list[cst.Call]] = {}
        self._condition_tests: dict[cst.CSTNode, dict[str, list[cst.If]]] = {}
        self._globals: dict[cst.FunctionDef, tuple[str, ...]] = {}
        self._submodule_names: dict[str, bool] = {}
        self._keeping_methods: dict[str, bool] = {}  # method name -> every project definition leaves modes alone
        self._module_level_candidate = False
        self.module_end: State | None = None  # the modes module-level code leaves its variables in
        self._module_shadow: "ModeAnalysis | None" = None
        self._ran = False

    # ----------------------------------------------------------------- driver
    def run(self) -> "ModeAnalysis":
        if self._ran:
            return self
        self._ran = True
        model = self.model
        wanted = self._candidate_functions()
        if wanted is None:
            return self
        if self._module_level_candidate:
            _Flow(self, model.module, model.module_scope).run()
        for node in list(model.scopes):
            if node in wanted:
                self.summary(node)
        return self

    def _candidate_functions(self) -> set[cst.CSTNode] | None:
        """The functions whose flow a BN1xx rule may need: those holding a no-grad region, a mode switch,
        an export, a freeze or a training step, eval-like ones, and their direct callers (which pass the
        model's mode in). None when the file holds no such thing (the flow analysis is skipped).
        Sets ``_module_level_candidate`` when module-level code holds such a site or calls such a function
        (otherwise the module's own flow is skipped)."""
        model = self.model
        found: set[cst.CSTNode] = set()
        any_candidate = False

        def mark(scope: "Scope | None") -> None:
            if not _in_function(scope):
                self._module_level_candidate = True
            while scope is not None:
                if isinstance(scope.node, cst.FunctionDef):
                    found.add(scope.node)
                scope = scope.parent

        for site in model.calls:
            func = site.node.func
            name = _called_name(func)
            qn = model.qualname(func)
            if (name in _CANDIDATE_METHODS or _TRAIN_NAME.search(name) or qn in _NO_GRAD or qn in _EXPORTS
                    or qn == "torch.set_grad_enabled" or name in _PREDICTIONS or qn == "torch.max"):
                any_candidate = True
                mark(site.scope)
        for attribute, _value, scope in model.attribute_assignments:
            if attribute.attr.value in ("requires_grad", "training"):
                any_candidate = True
                mark(scope)
        for node, scope in model.scopes.items():
            if isinstance(node, cst.FunctionDef) and (
                eval_named(node.name.value)
                or any(self._no_grad_expr(d.decorator) for d in node.decorators)
            ):
                any_candidate = True
                mark(scope)
        if not any_candidate:
            return None
        names = {node.name.value for node in found if isinstance(node, cst.FunctionDef)}
        for site in model.calls:
            if _called_name(site.node.func) in names:
                mark(site.scope)
        names = {node.name.value for node in found if isinstance(node, cst.FunctionDef)}
        for site in model.calls:
            if _called_name(site.node.func) in names and not _in_function(site.scope):
                self._module_level_candidate = True
        return found

    def summary(self, func: cst.FunctionDef) -> Summary | None:
        if func in self.summaries:
            if func in self.cut_short:
                _CUTS[0] += 1  # (whatever uses it is cut short too)
            return self.summaries[func]
        if func in self._in_progress:
            _CUTS[0] += 1  # a cycle: the summary being worked out goes on without this one
            return None
        scope = self.model.scopes.get(func)
        if scope is None:
            return None
        self._in_progress.add(func)
        cuts = _CUTS[0]
        try:
            flow = _Flow(self, func, scope)
            summary = flow.run()
        finally:
            self._in_progress.discard(func)
        if _CUTS[0] != cuts:
            self.cut_short.add(func)
        elif self.model.functions.get(func.name.value) is func:  # for the project index (``Project.indexed``)
            self.model.index_facts[("trains", func.name.value)] = bool(summary.trains)
            self.model.index_facts[("inert", func.name.value)] = _inert(summary)
        self.summaries[func] = summary
        return summary

    def indexed_inert(self, call: cst.Call, bind, tracked) -> Summary | None:
        """For a call of another file's function that the project index says leaves the modules this call
        gives it alone (sets, trains, evaluates and freezes none of them, and returns none), a summary
        that says only that, with its parameters; None when the index does not say so. ``bind``:
        ``_Flow._bind_args``; ``tracked(key)``: whether the flow follows that module."""
        where = self._imported_callee(call)
        project = self.model.project
        fact = project.indexed(where[0], "inert", where[1]) if where is not None and project is not None else None
        if not isinstance(fact, dict) or not isinstance(fact.get("params"), list) or not isinstance(fact.get("touched"), list):
            return None
        summary = Summary(params=[str(p) for p in fact["params"]], name=where[1], path=where[0])  # type: ignore[index]
        touched = set(fact["touched"])
        if any(param in touched and key_of(arg) is not None and tracked(key_of(arg)) for param, arg in bind(call, summary)):
            return None  # (a module given to a parameter it does something to: the real summary is needed)
        return summary

    def implicit_globals(self, func: cst.FunctionDef) -> tuple[str, ...]:
        """The module-level variables a module-level function of this file reads, itself or through
        the functions of this file it calls (``def test(): ... model(x)`` with a global ``model``)."""
        cache = self._globals
        if func in cache:
            return cache[func]
        cache[func] = ()  # (a recursive call sees what is known so far)
        model = self.model
        scope = model.scopes.get(func)
        if scope is not None and scope.parent is not None and scope.parent.kind == "function" \
                and scope.parent.functions.get(func.name.value) is func:
            cache[func] = self._closure_variables(func, scope)
            return cache[func]
        if scope is None or model.functions.get(func.name.value) is not func:
            return ()
        module = model.module_scope
        local = (scope.params.keys() | scope.bindings.keys() | scope.opaque) - _declared_global(func.body)
        found: list[str] = []
        callees: list[str] = []
        for name in _names_read(func.body):
            if name in local or name in found or name in callees:
                continue
            if name in model.functions:
                callees.append(name)
            elif (name in module.bindings or name in module.opaque) and name not in model.classes:
                found.append(name)
        for callee in callees:
            found += [name for name in self.implicit_globals(model.functions[callee])
                      if name not in local and name not in found]
        cache[func] = tuple(found)
        return cache[func]

    def _closure_variables(self, func: cst.FunctionDef, scope: "Scope") -> tuple[str, ...]:
        """The enclosing function's variables a nested function reads (and does not bind itself)."""
        outer = scope.parent
        local = (scope.params.keys() | scope.bindings.keys() | scope.opaque) - _declared_global(func.body)
        return tuple(dict.fromkeys(
            name for name in _names_read(func.body)
            if name not in local and (name in outer.params or name in outer.bindings or name in outer.opaque)))

    def after_slip(self, site: "Site") -> cst.CSTNode | None:
        """The last slip (``model.eval`` uncalled) on ``site``'s module before it in the same function."""
        at = self.order(site.node)
        found = [(self.order(node), node) for node, key, scope in self.slips
                 if key == site.key and scope is site.scope and self.order(node) < at]
        return max(found, key=lambda pair: pair[0])[1] if found else None

    def evaluations(self, summary: Summary) -> dict[str, tuple[cst.CSTNode, str]]:
        """The parameters ``summary``'s function runs for evaluation in the mode it is given them in."""
        if summary.evaluates is None:
            summary.evaluates = {}
            for call, key in summary.entry_uses:
                if key not in summary.evaluates:
                    reason = self.eval_reason(call)
                    if reason is not None:
                        summary.evaluates[key] = (call, reason)
        return summary.evaluates

    def function_summary(self, name: str) -> Summary | None:
        """The summary of a module-level function of this file."""
        func = self.model.functions.get(name)
        return self.summary(func) if func is not None else None

    # ---------------------------------------------------------- for the rules
    def passed_kinds(self, func: cst.FunctionDef, param: str) -> set[ModelKind] | None:
        """The kinds of module that every call of this file's function ``func`` passes as ``param``.

        None when it is never called here, or some call passes something not known to be a module.
        """
        self.run()
        if self.model.functions.get(func.name.value) is not func:
            return None
        passed = self.call_args.get(f"{func.name.value}.{param}")
        if not passed:
            return None
        kinds: set[ModelKind] = set()
        for arg_key, caller_state, caller in passed:
            facts = _lookup(caller_state, arg_key)
            if facts and all(f.kind is not None for f in facts):
                kinds |= {f.kind for f in facts}  # type: ignore[misc]
                continue
            # a mode set since it was built (`model.train()`): the kind of what the name is bound to
            scope = self.model.scopes.get(caller) or (self.model.module_scope if isinstance(caller, cst.Module) else None)
            scope = scope if "." not in arg_key else None
            kind = model_kind(self.model, cst.Name(arg_key), scope) if scope is not None else None
            if kind is None:
                return None
            kinds.add(kind)
        return kinds

    def resolved(self, site: Site) -> frozenset:
        """The site's facts, with ``entry`` replaced by what every call site in this file passes in
        (through callers that pass on their own parameter, a few levels up)."""
        return self._resolve(self.enclosing_function(site.node), site.key, site.facts, 0, site.exact)

    def _resolve(self, func: cst.FunctionDef | None, key: str, facts: frozenset, depth: int,
                 exact: bool = False) -> frozenset:
        if not any(f.mode == ENTRY for f in facts) or depth > 4:
            return facts
        root, _, rest = key.partition(".")
        if func is not None and root == "self" and func in self.method_calls:
            # a method: what the class's own `self.method()` calls leave `self.model` in
            passed = [("self", state, caller) for state, caller in self.method_calls[func]]
            if rest and all(caller is None and _lookup(state, key) == _ENTRY for _, state, caller in passed) \
                    and self._held_at_rest(func, rest.split(".")[0]):
                # called only from outside on an instance whose mode nothing shows (`spotter.predict(w)` in a
                # route): `self.model` as `__init__` leaves it, when nothing else changes it
                init = self.model.enclosing_class(self.model.scopes[func].parent).methods["__init__"]
                passed = [("self", self.summary(init).effects, init)]
        elif func is not None and root == "self" and rest and self._held_at_rest(func, rest.split(".")[0]):
            # a server's or predictor's method: `self.model` as `__init__` leaves it
            init = self.model.enclosing_class(self.model.scopes[func].parent).methods["__init__"]
            passed = [("self", self.summary(init).effects, init)]
        elif func is None or self.model.functions.get(func.name.value) is not func:
            return facts
        else:
            passed = self.call_args.get(f"{func.name.value}.{root}")
            if not passed and self._at_rest(func, root):
                passed = [(root, self.module_state(), self.model.module)]
        if not passed:
            return facts
        out = {f for f in facts if f.mode != ENTRY}
        for arg_key, caller_state, caller_node in passed:
            passed_key = f"{arg_key}.{rest}" if rest else arg_key  # `ema.module` for `validate(ema)`
            caller = _lookup(caller_state, passed_key)
            if exact and passed_key not in caller_state and not (caller == _ENTRY and root == "self"
                                                                 and isinstance(caller_node, cst.FunctionDef)):
                return facts
            if isinstance(caller_node, cst.FunctionDef) and caller_node is not func:
                caller = self._resolve(caller_node, passed_key, caller, depth + 1, exact)
            if not any(f.mode == TRAIN for f in caller):
                return facts  # some caller does not show training mode: stay with "entry"
            out |= caller
        return frozenset(out)

    def module_state(self) -> State | None:
        """The modes module-level code leaves its variables in; worked out on first need, by a separate
        analysis when ``run`` had no reason to follow the module's code (its findings are not this one's)."""
        if self.module_end is None and not self._module_level_candidate and self._module_shadow is None:
            self._module_shadow = ModeAnalysis(self.model)
            _Flow(self._module_shadow, self.model.module, self.model.module_scope).run()
            self.module_end = self._module_shadow.module_end
        return self.module_end

    def _held_at_rest(self, func: cst.FunctionDef, attr: str) -> bool:
        """Whether ``self.attr`` is, whenever method ``func`` runs, in the mode ``__init__`` leaves it in: the
        class (not an nn.Module, whose parts follow its own mode) builds it in ``__init__``, assigns it
        nowhere else, and no code of the file changes its mode, passes it on or calls ``func`` on ``self``
        (a request handler of a server class, a ``predict`` of a predictor class)."""
        key = (func, attr)
        if key not in self._at_rest_held:
            self._at_rest_held[key] = self._held_in_init_only(func, attr)
        return self._at_rest_held[key]

    def _held_in_init_only(self, func: cst.FunctionDef, attr: str) -> bool:
        model = self.model
        scope = model.scopes.get(func)
        info = model.enclosing_class(scope.parent) if scope is not None and scope.parent is not None else None
        if info is None or info.methods.get(func.name.value) is not func or "__init__" not in info.methods \
                or model.is_nn_module_class(info) or self._framework_class(info) or "forward" in info.methods \
                or any(word in model.code(base) for base in info.bases for word in ("Module", "Model", "Net")):
            return False  # (a model class of another library, `PreTrainedModel`: its parts follow its mode)
        values = info.attributes.get(attr, [])
        init = info.methods["__init__"]
        if len(values) != 1 or values[0][1].node is not init:
            return False
        summary = self.summary(init)
        if summary is None or f"self.{attr}" not in summary.effects:
            return False
        for site in model.calls:
            call = site.node
            if isinstance(call.func, cst.Attribute):
                receiver = model.code(call.func.value)
                if (receiver == "self" and call.func.attr.value == func.name.value) or (
                        receiver.endswith(f".{attr}") and call.func.attr.value in _MODE_SETTERS
                        and self.enclosing_function(call) is not init):
                    return False
            if any(model.code(arg.value).endswith(f".{attr}") and self.enclosing_function(call) is not init
                   for arg in call.args):
                return False  # (given to code that may set its mode)
        return True

    def _at_rest(self, func: cst.FunctionDef, name: str) -> bool:
        """Whether module-level ``name`` is in the mode module-level code leaves it in whenever ``func``
        runs: ``func`` is called nowhere in this file (a web handler, a callback: it runs after the
        module's code), and no other function changes ``name``'s mode or reassigns it."""
        model = self.model
        if self.is_test_file() or func.name.value.startswith("test") or self.module_state() is None:
            return False
        summary = self.summary(func)
        if summary is None or name not in summary.globals or len(model.module_scope.bindings.get(name, ())) != 1:
            return False
        if any(_called_name(site.node.func) == func.name.value for site in model.calls):
            return False
        for site in model.calls:
            if not _in_function(site.scope) or self.enclosing_function(site.node) is func:
                continue
            call = site.node
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in _MODE_SETTERS:
                receiver = receiver_key(call.func.value)
                if receiver is not None and receiver.split(".")[0] == name:
                    return False
            for arg in call.args:
                key = key_of(arg.value)
                if key is not None and key.split(".")[0] == name and model.qualname(call.func) not in _SAFE_CALLEES:
                    return False
        for attribute, _value, scope in model.attribute_assignments:
            key = key_of(attribute)
            if _in_function(scope) and key is not None and key.split(".")[0] == name:
                return False
        return not any(name in _declared_global(node.body) for node in model.scopes
                       if isinstance(node, cst.FunctionDef))

    def shown_train(self, facts: frozenset) -> bool:
        """Training mode on every path, as the code shows (an eval on some path means a deliberate choice)."""
        modes = {f.mode for f in facts}
        # (or trained on the paths through its training loop: the other path is the loop run zero times)
        return bool(facts) and (modes == {TRAIN} or modes == {TRAIN, ENTRY} and any(f.why == TRAINED for f in facts))

    def kind(self, key: str, facts: frozenset, scope: "Scope") -> ModelKind | None:
        """BN / MAYBE / NO for the model at ``key``; MAYBE for a module of unknown content."""
        kinds = {f.kind for f in facts if f.kind is not None}
        if kinds:
            if ModelKind.BN in kinds:
                return ModelKind.BN
            return ModelKind.MAYBE if ModelKind.MAYBE in kinds else ModelKind.NO
        root, _, rest = key.partition(".")
        if rest:
            if "." in rest:
                return ModelKind.MAYBE
            if root == "self":
                return self._attribute_kind(self.model.enclosing_class(scope), rest)
            # what `model` was built as, also when rebound (`model = DDP(model)`): `resnet50(...)`, whose `model.fc`
            # holds no BatchNorm, or `Probe(...)`, a class of this file whose `__init__` puts `model.<rest>`
            assigned = self.model.bindings(root, scope)
            origins = [_unwrap_passthrough(v) for v in (assigned[0] if assigned is not None else ()) if not _mentions(v, root)]
            built = origins[0] if len(origins) == 1 else None
            if built is not None and library_part_without_bn(self.model, built, rest):
                return ModelKind.NO
            func = built.func if isinstance(built, cst.Call) else None
            info = self.model.classes.get(func.value) if isinstance(func, cst.Name) \
                and self.model.binding(func.value, scope) is None else None
            return self._attribute_kind(info, rest)
        found = model_kind(self.model, cst.Name(root), scope)
        if found is not None:
            return found
        bound = self.model.binding(root, scope)
        if bound is not None and isinstance(bound[0], cst.Call):
            func = bound[0].func
            if isinstance(func, cst.Name) and func.value in self.model.classes:
                return None  # a project class that is not an nn.Module
        function = scope.node if scope is not None else None
        if isinstance(function, cst.FunctionDef) and root in scope.params:
            passed = self.passed_kinds(function, root)  # a parameter: what every caller of this file gives
            if passed:
                if ModelKind.BN in passed:
                    return ModelKind.BN
                return ModelKind.MAYBE if ModelKind.MAYBE in passed else ModelKind.NO
        return ModelKind.MAYBE

    def _attribute_kind(self, info: "ClassInfo | None", attribute: str) -> ModelKind:
        """What the attribute of a class of this file holds: NO only when every assignment shows no
        BatchNorm, BN when one shows it, MAYBE otherwise."""
        values = info.attributes.get(attribute) if info is not None else None
        if values:
            found = {model_kind(self.model, value, where) for value, where in values}
            if ModelKind.BN in found:
                return ModelKind.BN
            if found == {ModelKind.NO}:
                return ModelKind.NO
        return ModelKind.MAYBE

    def keeps_own_modes(self, facts: frozenset) -> bool:
        """Whether the model was built from a class of this file that overrides ``train()`` (an
        Inception feature extractor kept in eval whatever its caller asks): its class sets its modes.
        (Classes of other files are not looked into here: that would parse them for every finding.)"""
        for fact in facts:
            built = _unwrap_passthrough(fact.node) if isinstance(fact.node, cst.Call) else None
            if (isinstance(built, cst.Call) and fact.why == "built" and isinstance(built.func, cst.Name)
                    and built.func.value in self.model.classes and overrides_train(self.model, built.func)):
                return True
        return False

    def has_train_override(self, key: str, scope: "Scope", depth: int = 0) -> bool:
        """Whether the model's project class overrides ``train()`` (e.g. to keep BatchNorm in eval)."""
        root = key.split(".")[0]
        if root == "self":
            info = self.model.enclosing_class(scope)
            return info is not None and "train" in info.methods and train_sets_modes(info.methods["train"])
        bound = self.model.binding(root, scope)
        assigned = self.model.bindings(root, scope)
        for value in (assigned[0] if assigned is not None else ()):  # `net = Net().to(device)`, also rebound
            value = _unwrap_passthrough(value)
            if isinstance(value, cst.Call) and overrides_train(self.model, value.func):
                return True
        function = scope.node if scope is not None else None
        if bound is None and isinstance(function, cst.FunctionDef) and root in scope.params and depth < 4:
            # a parameter (`def freeze(model: Net)`): its annotation, or a model a call of this file passes
            param = scope.params[root]
            annotation = param.annotation.annotation if getattr(param, "annotation", None) is not None else None
            if isinstance(annotation, cst.Name) and overrides_train(self.model, annotation):
                return True
            for arg_key, _state, caller in self.call_args.get(f"{function.name.value}.{root}", ()):
                caller_scope = self.model.scopes.get(caller) if caller is not self.model.module else self.model.module_scope
                if caller_scope is not None and self.has_train_override(arg_key, caller_scope, depth + 1):
                    return True
        return False

    # ----------------------------------------------------------- lexical facts
    def line(self, node: cst.CSTNode) -> int:
        return self.model.line_of(node) or 0

    def order(self, node: cst.CSTNode) -> int:
        return self.model.order(node)

    def condition_tests(self, body: cst.CSTNode) -> dict[str, list[cst.If]]:
        """The ``if`` statements of a function (or the module) by condition key (see ``_condition``)."""
        found = self._condition_tests.get(body)
        if found is None:
            found = self._condition_tests[body] = {}
            for node in self.model.nodes_of(body, cst.If):
                condition = _condition(node.test)
                if condition is not None:
                    found.setdefault(condition[0], []).append(node)
        return found

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        for ancestor in self.model.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                return ancestor
            if isinstance(ancestor, cst.Lambda):
                return None
        return None

    def region(self, node: cst.CSTNode) -> cst.CSTNode:
        """The innermost loop body or function (or module) around ``node``."""
        for ancestor in self.model.ancestors(node):
            if isinstance(ancestor, (cst.For, cst.While, cst.FunctionDef, cst.Module)):
                return ancestor
        return self.model.module

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
        cache = self._training_steps
        if (region, direct) not in cache:
            cache[(region, direct)] = self._training_calls(region, direct, first=False)
        return cache[(region, direct)]

    def _training_calls(self, region: cst.CSTNode, direct: bool, first: bool) -> list[cst.Call]:
        found: list[cst.Call] = []
        stack = list(children(region))
        while stack and not (first and found):
            node = stack.pop()
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            if direct and isinstance(node, (cst.For, cst.While)):
                continue
            if isinstance(node, cst.Call) and self.is_training_call(node):
                found.append(node)
            stack.extend(children(node))
        return found

    def is_training_call(self, call: cst.Call) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute):
            name = func.attr.value
            if name in ("backward", "manual_backward"):
                return True
            if _TRAIN_NAME.search(name) and name != "train":
                return True  # train_step(), trainer.train_one_epoch(): a training step bn-lint cannot see
            if name in ("step", "minimize") and "opt" in self.model.code(func.value).lower():
                return True
            if name == "step" and "scaler" in self.model.code(func.value).lower():
                return True
        elif isinstance(func, cst.Name) and _TRAIN_NAME.search(func.value):
            return True
        qn = self.model.qualname(func)
        if qn in ("torch.autograd.backward",):
            return True
        summary = self._callee_summary(call)
        return bool(summary and summary.trains)

    def under_no_grad(self, node: cst.CSTNode) -> bool:
        for ancestor in self.model.ancestors(node):
            if isinstance(ancestor, cst.With):
                if any(self._no_grad_expr(item.item) for item in ancestor.items):
                    return True
            if isinstance(ancestor, cst.FunctionDef):
                return any(self._no_grad_expr(d.decorator) for d in ancestor.decorators)
            if isinstance(ancestor, (cst.Lambda, cst.ClassDef)):
                return False
        return False

    def _no_grad_expr(self, expr: cst.BaseExpression) -> bool:
        qn = self.model.qualname(expr.func if isinstance(expr, cst.Call) else expr)
        if qn in _NO_GRAD:
            return True
        if qn == "torch.set_grad_enabled" and isinstance(expr, cst.Call) and expr.args:
            value = expr.args[0].value
            return isinstance(value, cst.Name) and value.value == "False"
        return False

    def is_test_file(self) -> bool:
        """``test_*.py``, ``*_test.py``, or a file under a ``test``/``tests`` folder of its project (the
        folders above the project's root do not count)."""
        path = os.path.abspath(self.model.path)
        if self.model.project is not None:
            relative = os.path.relpath(path, self.model.project.root_for(path))
            path = path if relative.startswith("..") else relative
        return bool(_TEST_FILE.search(path.replace("\\", "/")))

    def eval_reason(self, node: cst.CSTNode) -> str | None:
        """Why the call at ``node`` is an evaluation (None when it is not, or when a framework sets the mode)."""
        reason = self._evaluation(node)  # (first: the training-step test may parse other files)
        if reason is None or self._in_training_step(node) or not self._may_evaluate(node):
            return None
        return reason

    def _in_training_step(self, node: cst.CSTNode) -> bool:
        """Whether the call may feed a training step of its region: one in the same loop body, or one
        after it in the same function (a teacher run under ``no_grad`` before ``loss.backward()``). A
        call after the last step of a function (``fit(model); with torch.no_grad(): model(x)``) cannot."""
        region = self.region(node)
        if not self.trains(region, direct=True):
            return isinstance(region, cst.FunctionDef) and self._feeds_backward_at_callers(region)
        if isinstance(region, (cst.For, cst.While)):
            # (but an action picked under `no_grad` from the model's argmax, which no loss reads: DQN's
            # epsilon-greedy step runs the model for a prediction in the middle of training)
            # (nor samples drawn under `no_grad` to be looked at, from an input the loop does not change or
            # never reaching a loss: a GAN's fixed-noise grid in its training loop)
            if not self.under_no_grad(node):  # (unless it runs on a batch of evaluation data, for metrics only)
                return not (eval_input(self.model, node, region) and not reaches_backward_in_order(self.model, node, region))
            if self.visualised(node) and self._loop_invariant(node, region):
                return False
            return not ((self.predicts(node) or self.visualised(node)) and not self._reaches_backward(node, region))
        at = self.order(node)
        return any(self.order(step) > at for step in self.training_calls(region, direct=True))

    def _loop_invariant(self, call: cst.CSTNode, loop: cst.CSTNode) -> bool:
        """Whether every name ``call``'s arguments read is bound outside ``loop`` only (``G(fixed_noise)``)."""
        if not isinstance(call, cst.Call) or not call.args:
            return False
        read = {name for arg in call.args for name in _names_read(arg.value)}
        for node in self.model.nodes_of(loop, cst.Assign, cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr, cst.WithItem):
            if isinstance(node, cst.Assign):
                targets = [t.target for t in node.targets]
            elif isinstance(node, cst.WithItem):
                targets = [node.asname.name] if node.asname is not None else []
            else:
                targets = [node.target]
            if any(isinstance(n, cst.Name) and n.value in read for t in targets for n in walk(t)):
                return False
        return True

    def _reaches_backward(self, call: cst.CSTNode, loop: cst.CSTNode) -> bool:
        """Whether ``call``'s value may reach a ``.backward()`` in ``loop``: through the names assigned
        from it there (``pseudo = model(u).argmax(1)``, ``loss = ce(out, pseudo)``), or unassigned."""
        parent = self.model.parent(call)
        while isinstance(parent, (cst.Attribute, cst.Call, cst.Arg, cst.Subscript, cst.SubscriptElement, cst.Index,
                                  cst.BinaryOperation, cst.UnaryOperation)):
            parent = self.model.parent(parent)
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
                    and node.func.attr.value in ("backward", "manual_backward"):
                given = [node.func.value, *(a.value for a in node.args[:1])]
                if any(set(_names_read(g)) & derived for g in given):
                    return True
        return False

    def _feeds_backward_at_callers(self, func: cst.FunctionDef) -> bool:
        """``loss = model.loss(v1, v2); loss.backward()``: every call of ``func`` in this file gives what it
        returns to a backward pass, so ``func`` is part of a training step (a BYOL target run inside it)."""
        name = func.name.value
        sites = [site for site in self.model.calls
                 if (isinstance(site.node.func, cst.Name) and site.node.func.value == name
                     and self.model.functions.get(name) is func)
                 or (isinstance(site.node.func, cst.Attribute) and site.node.func.attr.value == name
                     and any(info.methods.get(name) is func for info in self.model.classes.values()))]
        return bool(sites) and all(self._backward_of(site.node) for site in sites)

    def _backward_of(self, call: cst.Call) -> bool:
        """Whether ``call``'s value has ``.backward()`` called on it: inside that call's receiver, or
        through the name it is assigned to (``loss = f(x)`` ... ``loss.backward()`` in the same function)."""
        parent = self.model.parent(call)
        name = None
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
            name = parent.targets[0].target.value
        scope = self.enclosing_function(call) or self.model.module
        for node in self.model.nodes_of(scope, cst.Call):
            if not (isinstance(node.func, cst.Attribute) and node.func.attr.value in ("backward", "manual_backward")):
                continue
            # `loss.backward()`, `accelerator.backward(loss)`, `self.manual_backward(loss)`
            for given in ([node.func.value] if node.func.attr.value == "backward" else []) + [a.value for a in node.args[:1]]:
                if any(inner is call or (name is not None and isinstance(inner, cst.Name) and inner.value == name)
                       for inner in walk(given)):
                    return True
        return False

    def _evaluation(self, node: cst.CSTNode) -> str | None:
        """What makes the call at ``node`` look like an evaluation, before training steps and frameworks."""
        func = self.enclosing_function(node)
        if self.under_no_grad(node):
            return "under `torch.no_grad()`/`inference_mode()`"
        if self.predicts(node) and not self.dummy_input(node) and (func is None or not self.trains(func)):
            return "its output goes to argmax (predictions), not to a backward pass"
        region = self.region(node)
        data = eval_data_loop(self.model, node) or (
            f"on a batch of `{eval_input(self.model, node, region)}`" if isinstance(region, (cst.For, cst.While))
            and eval_input(self.model, node, region) else None)
        if data is not None and not self.dummy_input(node) and not (func is not None and self.is_test_file()
                                                                    and func.name.value.lower().startswith("test")):
            return data
        inference = inference_run(self, node)
        if inference is not None:
            return inference
        if func is not None and eval_named(func.name.value) and not self.dummy_input(node) \
                and not (func.name.value.lower().startswith("test") and self.is_test_file()) and not self.trains(func):
            return f"in `{func.name.value}()`"
        return None

    def _may_evaluate(self, node: cst.CSTNode) -> bool:
        """False for calls whose mode a framework sets, for shape probes (in ``__init__`` or not), for a
        module whose own ``forward`` runs a training step (test-time adaptation: ``Tent``), and where the
        function has turned BatchNorm's running statistics off (``bn.track_running_stats = False``:
        batch statistics on purpose)."""
        if self.framework_managed(node):
            return False
        func = self.enclosing_function(node)
        if func is not None and func.name.value == "__init__":
            return False  # a model called while it is built: a shape probe
        if self._forward_trains(node) or self._running_stats_off(node):
            return False
        return not self.shape_probe(node)

    def _forward_trains(self, node: cst.CSTNode) -> bool:
        """``tented(x)`` with ``tented = Tent(model, optimizer)``, a class of this file whose ``forward``
        runs a training step."""
        if not isinstance(node, cst.Call):
            return False
        func = node.func
        info = self.attribute_class(func, node)
        if info is None and isinstance(func, cst.Name):
            bound = self.model.binding(func.value, self.model.scope_of(node))
            value = _unwrap_passthrough(bound[0]) if bound is not None else None
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) \
                    and self.model.binding(value.func.value, None) is None:
                info = self.model.classes.get(value.func.value)
        forward = info.methods.get("forward") if info is not None else None
        return forward is not None and self.trains(forward)

    def _running_stats_off(self, node: cst.CSTNode) -> bool:
        """An assignment ``<x>.track_running_stats = False`` earlier in the function around ``node``."""
        func = self.enclosing_function(node)
        if func is None:
            return False
        for assign in self.model.nodes_of(func, cst.Assign):
            if self.order(assign) < self.order(node) and isinstance(assign.value, cst.Name) \
                    and assign.value.value == "False" and any(
                        isinstance(t.target, cst.Attribute) and t.target.attr.value == "track_running_stats"
                        for t in assign.targets):
                return True
        return False

    def path_eval(self, node: cst.CSTNode) -> tuple[Site, str] | None:
        """The use at ``node`` on the paths where it evaluates (see ``path_evals``), and why."""
        found = self.path_evals.get(node)
        return found if found is not None and self._may_evaluate(node) else None

    def predicts(self, call: cst.CSTNode) -> bool:
        """``model(x).argmax(1)``, ``torch.max(model(x), 1)``, or ``out = model(x)`` read that way."""
        if self._argmax_of(call):
            return True
        parent = self.model.parent(call)
        if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, cst.Name)):
            return False
        name = parent.targets[0].target.value
        scope_node = self.enclosing_function(call) or self.model.module
        return any(isinstance(n, cst.Name) and n.value == name and n is not parent.targets[0].target
                   and self._argmax_of(n) for n in self.model.nodes_of(scope_node, cst.Name))

    def visualised(self, call: cst.CSTNode) -> bool:
        """``save_image(G(z), ...)``, or ``fake = G(z).detach().cpu()`` then ``make_grid(fake)`` (or a
        writer's ``add_image``) later in the function: the output is made to be looked at."""
        model = self.model
        node, parent = call, model.parent(call)
        while True:  # through `.detach()`, `.cpu()`, `.data`, `[:64]`
            if isinstance(parent, cst.Attribute) and parent.attr.value == "data":
                node, parent = parent, model.parent(parent)
            elif isinstance(parent, cst.Attribute) and parent.attr.value in _VIEW_METHODS \
                    and isinstance(model.parent(parent), cst.Call):
                node = model.parent(parent)
                parent = model.parent(node)
            elif isinstance(parent, cst.Subscript):
                node, parent = parent, model.parent(parent)
            else:
                break
        if isinstance(parent, cst.Arg):
            return self._image_sink(model.parent(parent))
        if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name)):
            return False
        name, at = parent.targets[0].target.value, self.order(call)
        scope_node = self.enclosing_function(call) or model.module
        for use in model.nodes_of(scope_node, cst.Name):
            if use.value == name and self.order(use) > at:
                inner, up = use, model.parent(use)
                while True:  # `fake[:64]`, `fake.view(-1, 1, 28, 28)`, `make_grid(fake)` given to `save_image`
                    if isinstance(up, cst.Subscript) and up.value is inner \
                            or isinstance(up, cst.Attribute) and up.value is inner and up.attr.value == "data":
                        inner, up = up, model.parent(up)
                    elif isinstance(up, cst.Attribute) and up.value is inner and isinstance(model.parent(up), cst.Call):
                        inner = model.parent(up)
                        up = model.parent(inner)
                    else:
                        if isinstance(up, cst.Arg) and self._image_sink(model.parent(up)):
                            return True
                        break
        return False

    def _image_sink(self, call: cst.CSTNode | None) -> bool:
        if not isinstance(call, cst.Call):
            return False
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("add_image", "add_images"):
            return True
        return self.model.qualname(call.func) in _IMAGE_SINKS

    def _argmax_of(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` (through ``.data`` / ``.detach()``) is what an argmax / top-k / max over a dim reads."""
        model = self.model
        parent = model.parent(node)
        while True:
            if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value == "data":
                node, parent = parent, model.parent(parent)
                continue
            up = model.parent(parent) if isinstance(parent, cst.Attribute) else None
            if (isinstance(parent, cst.Attribute) and parent.attr.value in ("detach", "cpu") and isinstance(up, cst.Call)
                    and up.func is parent):
                node, parent = up, model.parent(up)
                continue
            break
        if isinstance(parent, cst.Attribute) and parent.value is node:
            call = model.parent(parent)
            if not (isinstance(call, cst.Call) and call.func is parent):
                return False
            if parent.attr.value in ("argmax", "topk"):
                return True
            return parent.attr.value == "max" and len(call.args) >= 1
        if isinstance(parent, cst.Arg) and not parent.keyword:
            call = model.parent(parent)
            if not isinstance(call, cst.Call) or call.args[0] is not parent:
                return False
            qn = model.qualname(call.func)
            return qn in ("torch.argmax", "torch.topk") or (qn == "torch.max" and len(call.args) >= 2)
        return False

    def shape_probe(self, call: cst.CSTNode) -> bool:
        """``model(dummy).shape`` / ``out = model(dummy)`` read only for sizes: not an evaluation."""
        parent = self.model.parent(call)
        if isinstance(parent, cst.Attribute) and parent.value is call:
            return parent.attr.value in _SHAPE_ATTRS
        if isinstance(parent, cst.Arg) and isinstance(self.model.parent(parent), cst.Call):
            outer = self.model.parent(parent)
            return isinstance(outer.func, cst.Name) and outer.func.value == "len"
        assign = parent
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1
                and isinstance(assign.targets[0].target, cst.Name)):
            return False
        name = assign.targets[0].target.value
        scope_node = self.enclosing_function(call) or self.model.module
        uses = [n for n in self.model.nodes_of(scope_node, cst.Name) if n.value == name
                and n is not assign.targets[0].target]
        if not uses:
            return False
        for use in uses:
            up = self.model.parent(use)
            if isinstance(up, cst.Attribute) and up.value is use and up.attr.value in _SHAPE_ATTRS:
                continue
            if isinstance(up, cst.Arg) and isinstance(self.model.parent(up), cst.Call):
                outer = self.model.parent(up)
                if isinstance(outer.func, cst.Name) and outer.func.value == "len":
                    continue
            return False
        return True

    def dummy_input(self, call: cst.CSTNode) -> bool:
        """``net(torch.randn(1, 3, 32, 32))``: a smoke test of the model, not an evaluation of data."""
        if not isinstance(call, cst.Call) or not call.args:
            return False
        scope = self.model.scope_of(call)
        for arg in call.args:
            value = arg.value
            if isinstance(value, cst.Name):
                bound = self.model.binding(value.value, scope)
                value = bound[0] if bound is not None else value
            if not (isinstance(value, cst.Call) and self.model.qualname(value.func) in _DUMMY_TENSORS):
                return False
        return True

    def framework_managed(self, node: cst.CSTNode) -> bool:
        """Whether something outside the code at ``node`` sets the mode there: a framework's class or
        trainer, or a decorator that switches the mode around the call."""
        for ancestor in self.model.ancestors(node):
            if isinstance(ancestor, cst.ClassDef):
                info = self.model.classes.get(ancestor.name.value)
                if info is not None and self._framework_class(info):
                    return True
            if isinstance(ancestor, cst.FunctionDef) and (self._mentions_trainer(ancestor)
                                                           or self._mode_decorated(ancestor)):
                return True
        return False

    def _mode_decorated(self, func: cst.FunctionDef) -> bool:
        """``@eval_mode``-style decorators: one named for evaluation or inference, or a project function
        whose code sets a mode (its wrapper calls ``model.eval()`` around the decorated function)."""
        if func not in self._decorated:
            self._decorated[func] = self._sets_mode_around(func)
        return self._decorated[func]

    def _sets_mode_around(self, func: cst.FunctionDef) -> bool:
        model = self.model
        for decorator in func.decorators:
            if self._no_grad_expr(decorator.decorator):
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
        """A ``trainer`` name in the function: a framework drives the model's mode there."""
        found = self._trainer_functions.get(func)
        if found is None:
            found = self._trainer_functions[func] = any(
                isinstance(n, cst.Name) and "trainer" in n.value.lower() for n in walk(func.body)
            )
        return found

    def _framework_class(self, info, depth: int = 0) -> bool:
        if depth > 5:
            return False
        for base in info.bases:
            qn = self.model.qualname(base) or ""
            text = self.model.code(base)
            if qn.startswith(_FRAMEWORK_PREFIXES) or "Lightning" in text or text.endswith(("Callback", "Trainer")):
                return True
            if isinstance(base, cst.Name) and base.value in self.model.classes and base.value != info.name:
                if self._framework_class(self.model.classes[base.value], depth + 1):
                    return True
        return False

    # ---------------------------------------------------------------- callees
    def _callee_summary(self, call: cst.Call) -> Summary | None:
        """The summary of the project function ``call`` runs, for its ``trains`` (None when it trains
        nothing: the project index answers that for another file's function without parsing it)."""
        where = self._imported_callee(call)
        project = self.model.project
        if where is not None and project is not None and project.indexed(where[0], "trains", where[1]) is False:
            return None
        target = self.callee(call)
        if target is None:
            return None
        analysis, func = target
        return analysis.summary(func)

    def callee(self, call: cst.Call, other_files: bool = True) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
        """The project function a call runs: local function, ``self.method``, or (``other_files``) imported."""
        model = self.model
        func = call.func
        if isinstance(func, cst.Name):
            if func.value in model.functions and model.binding(func.value, None) is None:
                return self, model.functions[func.value]
            nested = model.local_function(func.value, model.scope_of(call))
            if nested is not None and nested is not model.functions.get(func.value):
                return self, nested  # a function defined inside the caller (or one around it)
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            if func.value.value == "self":
                info = model.enclosing_class(model.scope_of(call))
                if info is not None and func.attr.value in info.methods:
                    return self, info.methods[func.attr.value]
                return None
            if model.imports.get(func.value.value) is None:
                return self._instance_method(func.value, func.attr.value, call, other_files)
        elif isinstance(func, cst.Attribute) and key_of(func.value) is not None:
            return self._attribute_method(func.value, func.attr.value, call)
        else:
            return None
        dotted = _imported_name(self.model, func)
        found = model.imported(dotted, "def") if dotted and other_files else None
        if found is None or found[1] not in found[0].functions:
            return None
        other, name = found
        return other.modes, other.functions[name]

    def _imported_callee(self, call: cst.Call) -> tuple[str, str] | None:
        """(file, name) of the other project file's function ``call`` runs, found without parsing that file;
        None for a function of this file (or one ``callee`` finds no other way)."""
        func = call.func
        model = self.model
        if isinstance(func, cst.Name) and (func.value in model.functions or model.local_function(func.value, model.scope_of(call))):
            return None
        dotted = _imported_name(self.model, func)
        return model.imported_path(dotted, "def") if dotted else None

    def _attribute_method(self, receiver: cst.BaseExpression, method: str,
                          call: cst.Call) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
        """``self.ema.update(model)`` where ``self.ema`` holds an instance of a class of this file that
        defines ``update``."""
        held = self.attribute_class(receiver, call)
        return (self, held.methods[method]) if held is not None and method in held.methods else None

    def submodule_name(self, name: str) -> bool:
        """Whether ``x.name(...)`` runs a submodule (whose forward leaves modes alone), not a method: the
        classes of this file and of the project files it imports assign ``self.name = ...`` and none
        defines ``def name``."""
        if name not in self._submodule_names:
            model = self.model
            assigned = defined = False
            for info in model.classes.values():
                assigned |= name in info.attributes
                defined |= name in info.methods
            if model.project is not None and not defined:
                for path in model.imported_project_paths:
                    defines, assigns = model.project.names_in_text(path)
                    if name in defines:
                        defined = True
                        break
                    assigned = assigned or name in assigns
            self._submodule_names[name] = assigned and not defined
        return self._submodule_names[name]

    def method_keeps_modes(self, name: str) -> bool:
        """Whether every ``def name`` of this file's classes and of the project files it imports (at
        least one) leaves modes alone: no ``.eval()``, ``.train()``, ``.training``, ``.apply()``, no
        ``requires_grad``, and no call of another method of ``self`` (``backbone.load_pretrained(path)``).
        Read from the text, without parsing the other files."""
        if name not in self._keeping_methods:
            texts = self.model.method_texts(name)
            self._keeping_methods[name] = bool(texts) and not any(
                text == "?" or _SETS_MODES.search(text)
                or any(m not in _SAFE_METHODS | {"forward"} for m in _SELF_CALLS.findall(text)) for text in texts)
        return self._keeping_methods[name]

    def method_runs_self(self, name: str) -> bool:
        """Whether every ``def name`` (as in ``method_keeps_modes``, which must hold too) runs ``self(...)``:
        ``model.training_step(batch)`` of a course's ``ImageClassificationBase`` is a forward pass."""
        return self.method_keeps_modes(name) and all(_RUNS_SELF.search(t) for t in self.model.method_texts(name))

    def attribute_class(self, receiver: cst.BaseExpression, node: cst.CSTNode) -> "ClassInfo | None":
        """The class of this file whose instance ``self.ema`` holds, when the enclosing class assigns it
        once (``self.ema = ModelEMA(self.model)``)."""
        model = self.model
        if not (isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name)
                and receiver.value.value == "self"):
            return None
        info = model.enclosing_class(model.scope_of(node))
        values = info.attributes.get(receiver.attr.value, []) if info is not None else []
        value = _unwrap_passthrough(values[0][0]) if len(values) == 1 else None
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)):
            return None
        if model.binding(value.func.value, None) is not None:
            return None
        return model.classes.get(value.func.value)

    def _instance_method(self, receiver: cst.Name, method: str, call: cst.Call,
                         other_files: bool) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
        """``model.freeze_bn()`` where ``model = SegNet(...)`` (once, ``.to(device)`` allowed) and the
        project class defines ``freeze_bn`` itself."""
        model = self.model
        bound = model.binding(receiver.value, model.scope_of(call))
        value = _unwrap_passthrough(bound[0]) if bound is not None else self._built_then_copied(receiver.value, call)
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)):
            return None
        name = value.func.value
        if name in model.classes and model.binding(name, None) is None:
            info = model.classes[name]
            return (self, info.methods[method]) if method in info.methods else None
        dotted = model.imports.get(name)
        found = model.imported(dotted, "class") if dotted and other_files else None
        if found is None or found[1] not in found[0].classes:
            return None
        info = found[0].classes[found[1]]
        return (found[0].modes, info.methods[method]) if method in info.methods else None


    def _built_then_copied(self, name: str, call: cst.Call) -> cst.BaseExpression | None:
        """``model = DSCNN()`` and then only ``model = tq.fuse_modules_qat(model, ...)``-like rebindings (a
        copy of the same model, or ``model.to(device)``): the one value that builds it."""
        found = self.model.bindings(name, self.model.scope_of(call))
        if found is None:
            return None
        built = []
        for value in found[0]:
            value = _unwrap_passthrough(value)
            if isinstance(value, cst.Call) and self.model.qualname(value.func) in _COPIES and value.args \
                    and isinstance(value.args[0].value, cst.Name) and value.args[0].value.value == name:
                continue
            if isinstance(value, cst.Name) and value.value == name:
                continue
            built.append(value)
        return built[0] if len(built) == 1 else None


#: a module's tensors: a method called on one (``bn.running_mean.copy_(...)``, ``conv.weight.data.normal_()``)
#: changes no module's mode
_TENSOR_ATTRIBUTES = frozenset({"weight", "bias", "running_mean", "running_var", "num_batches_tracked", "data", "grad"})


def _in_place_tensor_op(method: str) -> bool:
    """``mul_``, ``add_``, ``copy_``, ``lerp_``: an in-place tensor method (a module's only in-place
    method, ``requires_grad_``, is handled before this is asked)."""
    return method.endswith("_") and not method.startswith("_") and method != "requires_grad_"


def _deep_copies(function: cst.FunctionDef, model: "FileModel") -> dict[cst.Call, str]:
    """``copy.deepcopy(param)`` calls in ``function`` (of ``model``'s file), with the parameter each copies."""
    return {node: node.args[0].value.value for node in model.nodes_of(function.body, cst.Call)
            if len(node.args) == 1 and isinstance(node.args[0].value, cst.Name)
            and model.qualname(node.func) == "copy.deepcopy"}


def _stored_params(init: cst.FunctionDef) -> dict[str, str]:
    """param -> attribute, for the parameters ``__init__`` uses only in ``self.attr = param`` statements."""
    stored: dict[str, str] = {}
    assigned: list[str] = []
    for attribute, param in stored_on_self(init):  # `self.model = model.to(device)`: the same module
        stored.setdefault(param, attribute)
        assigned.append(param)
    read = list(_names_read(init.body))
    # `encoder.out_dim`: reading an attribute of the module (not calling a method of it) leaves it as it is
    called = {id(node.func) for node in walk(init.body) if isinstance(node, cst.Call)}
    peeked = [node.value.value for node in walk(init.body) if isinstance(node, cst.Attribute)
              and isinstance(node.value, cst.Name) and id(node) not in called]
    return {param: attribute for param, attribute in stored.items()
            if read.count(param) == assigned.count(param) + peeked.count(param)}


def _is_dataclass_decorator(decorator: cst.BaseExpression, model: "FileModel") -> bool:
    func = decorator.func if isinstance(decorator, cst.Call) else decorator
    return model.qualname(func) == "dataclasses.dataclass"


def _element_returns(returned: list[list[frozenset | None] | None]) -> dict[int, frozenset]:
    """index -> the modes the model at that place has over every ``return`` (all tuples of one length)."""
    if not returned or any(r is None or len(r) != len(returned[0]) for r in returned):  # type: ignore[arg-type]
        return {}
    out = {}
    for index in range(len(returned[0])):  # type: ignore[arg-type]
        facts = [r[index] for r in returned]  # type: ignore[index]
        if all(f is not None for f in facts):
            out[index] = frozenset().union(*facts)  # type: ignore[arg-type]
    return out


def _negated(test: cst.BaseExpression) -> bool:
    """``not x``, ``a not in b``, ``a != b``, ``a is not b``, or an ``and`` of such: a test that excludes."""
    if isinstance(test, cst.UnaryOperation):
        return isinstance(test.operator, cst.Not)
    if isinstance(test, cst.Comparison):
        return all(isinstance(c.operator, (cst.NotIn, cst.NotEqual, cst.IsNot)) for c in test.comparisons)
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _negated(test.left) and _negated(test.right)
    return False


class _Flow:
    """One walk of one function body."""

    def __init__(self, analysis: ModeAnalysis, node: cst.CSTNode, scope: "Scope") -> None:
        self.a = analysis
        self.model = analysis.model
        self.node = node
        self.scope = scope
        self.exits: list[State] = []
        self.finally_bodies: list[Sequence[cst.BaseStatement]] = []  # of the `try`s around: a `return` runs them
        self.breaks: list[list[State]] = []
        self.continues: list[list[State]] = []
        self.flags: dict[str, tuple[str, frozenset]] = {}  # `was = model.training` -> (key, facts then)
        self.params: list[str] = []
        self.declared = 0  # how many of ``params`` the def declares (the rest: module variables it reads)
        self.trained: set[str] = set()
        self.entry_uses: list[tuple[cst.Call, str]] = []  # params called while still in their entry mode
        self.bn_evals: set[str] = set()  # modules whose BatchNorm layers a modules() loop puts in eval
        self.element_vars: dict[str, str] = {}  # `m` in `for m in frozen:` over a parameter -> the parameter
        self.element_modes: set[str] = set()
        self.frozen: list[tuple[cst.CSTNode, str]] = []  # (freezing node, module key)
        self.stepped: dict[str, frozenset] = {}  # params run in a training step -> their modes there
        self.returned: list[frozenset | None] = []  # the mode of the model each `return` gives back
        self.returned_elements: list[list[frozenset | None] | None] = []  # the same per element of a tuple
        self.element_freezes: dict[int, list[tuple[cst.CSTNode, str]]] = {}
        self.returned_freezes: list[tuple[cst.CSTNode, str]] = []
        self.helper_frozen: list[tuple[cst.CSTNode, str]] = []  # as ``frozen``, by a helper this function calls
        # a callee's freezing node -> the tests on this function's flags it runs under (see _tests_hold)
        self.carried_tests: dict[cst.CSTNode, list[tuple[str, bool]]] = {}
        self.yields: list[State] = []  # the states at `yield` (a generator: maybe a context manager)
        self.entering: set[cst.Call] = set()  # calls that are `with` items
        # the context managers entered, with the state before each
        self.leaving: list[tuple[cst.Call, tuple[ModeAnalysis, cst.FunctionDef], State]] = []
        self.watch: dict[cst.CSTNode, tuple[str, str]] = {}  # node -> (key, "frozen" | "eval")
        self.param_vars: dict[str, tuple[str, cst.CSTNode]] = {}  # `p` in `for p in m.parameters()` -> (m, loop)
        self.module_vars: dict[str, str] = {}  # `m` in `for m in model.modules()` -> model
        self.frozen_loops: set[tuple[cst.For, str]] = set()  # modules() loops that freeze (parts of) a module
        self.part_names: dict[str, str] = {}  # `name` -> "conv1" while `for name in ["conv1", ...]` is unrolled
        self.loop_modules: dict[str, list[str]] = {}  # `enc` in `for enc in (model.a, model.b)` -> those
        self.part_vars: dict[str, str] = {}  # `block` in `for block in model.features[:n]` -> model.features
        # conditions assumed on this path (`phase == 'train'` -> True), set where a block tests one twice
        self.assume: dict[str, bool] = {}
        # `model = nn.Sequential(encoder, head)` -> {encoder, head}: model.train() sets their modes too
        self.parts: dict[str, set[str]] = {}
        # `trainer = Trainer(net)` whose class stores `net` as `self.model`: ("trainer.model", "net"), one
        # module under two names; a mode change seen under one is seen under the other
        self.aliases: list[tuple[str, str]] = []
        self._optimized_names: set[str] | None = None  # names whose parameters go to a torch.optim optimizer

    def run(self) -> Summary:
        state: State = {}
        if isinstance(self.node, cst.FunctionDef):
            params = self.node.params
            for param in list(params.posonly_params) + list(params.params) + list(params.kwonly_params):
                self.params.append(param.name.value)
                state[param.name.value] = _ENTRY
            real = self.declared = len(self.params)
            for name in self.a.implicit_globals(self.node):
                self.params.append(name)
                state[name] = _ENTRY
            body = self.node.body
        else:
            real = 0
            body = self.node
        end = self.block(body.body, state)
        if end is not None:
            self.exits.append(end)
        summary = Summary(params=self.params[:real], globals=self.params[real:], path=self.model.path)
        if isinstance(self.node, cst.FunctionDef):
            summary.name = self.node.name.value
            if self.scope.parent is not None and self.scope.parent.kind == "function":
                summary.closure = self.scope.parent
        exit_state: State | None = None
        for one in self.exits:
            exit_state = one if exit_state is None else _join(exit_state, one)
        if not isinstance(self.node, cst.FunctionDef):
            self.a.module_end = exit_state
        for key, facts in (exit_state or {}).items():
            root = key.split(".")[0]
            if root in self.params and facts != _ENTRY:
                summary.effects[key] = facts
        summary.trains = self.trained
        summary.generator = bool(self.yields)
        summary.steps = self.stepped
        summary.freezes = [(node, key) for node, key in self.frozen if key.split(".")[0] in self.params]
        summary.returned_freezes = self.returned_freezes
        for node, _key in [*self.frozen, *self.helper_frozen, *self.returned_freezes, *(f for fs in self.element_freezes.values() for f in fs)]:
            inside = any(a is self.node for a in self.model.ancestors(node))
            tests = self._param_tests(node) if inside else self.carried_tests.get(node, [])
            if tests != []:
                summary.freeze_tests[node] = tests
        if self.returned and all(facts is not None for facts in self.returned):
            summary.returns = frozenset().union(*self.returned)  # type: ignore[arg-type]
        summary.element_returns = _element_returns(self.returned_elements)
        summary.element_freezes = self.element_freezes
        at_yield: State | None = None
        for one in self.yields:
            at_yield = one if at_yield is None else _join(at_yield, one)
        for key, facts in (at_yield or {}).items():
            if key.split(".")[0] in self.params and facts != _ENTRY:
                summary.at_yield[key] = facts
        summary.bn_evals = {key for key in self.bn_evals if key.split(".")[0] in self.params}
        summary.element_modes = self.element_modes
        summary.entry_uses = self.entry_uses
        return summary

    # ------------------------------------------------------------- statements
    def block(self, statements, state: State | None) -> State | None:
        for index, statement in enumerate(statements):
            if state is None:
                return None
            if isinstance(statement, cst.If) and self._tested_again(statement, statements[index + 1:]):
                return self._split(_condition(statement.test)[0], statements[index:], state)
            state = self.statement(statement, state)
        return state

    def _tested_again(self, node: cst.If, rest) -> bool:
        """Whether ``node``'s condition (a plain flag or ``name == literal``, not yet assumed) is tested
        again by an ``if`` in the statements that follow it."""
        condition = _condition(node.test)
        if condition is None or condition[0] in self.assume or len(self.assume) >= 3 or not rest:
            return False
        later = set(rest)
        for other in self.a.condition_tests(self.node).get(condition[0], ()):
            if other is not node and any(ancestor in later for ancestor in self.model.ancestors(other)):
                return True
        return False

    def _split(self, key: str, statements, state: State) -> State | None:
        """The rest of a block, walked once per outcome of a condition it tests twice: the mode set under
        `if phase == 'train':` is the mode at the training step under the next `if phase == 'train':`."""
        outer = self.assume
        ends = []
        for value in (True, False):
            self.assume = {**outer, key: value}
            ends.append(self.block(statements, dict(state)))
        self.assume = outer
        return _join(*ends)

    def statement(self, node: cst.CSTNode, state: State) -> State | None:
        if isinstance(node, cst.BaseSmallStatement):
            return self.small(node, state)
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                if state is None:
                    return None
                state = self.small(small, state)
            return state
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            for decorator in getattr(node, "decorators", ()):
                self.expression(decorator.decorator, state)
            return state
        if isinstance(node, cst.If):
            self.expression(node.test, state)
            condition = _condition(node.test)
            if condition is not None and condition[0] in self.assume:
                if self.assume[condition[0]] == condition[1]:
                    return self.block(node.body.body, state)
                if node.orelse is None:
                    return state
                if isinstance(node.orelse, cst.If):
                    return self.statement(node.orelse, state)
                return self.block(node.orelse.body.body, state)
            then = self.block(node.body.body, dict(state))
            if node.orelse is None:
                other = state
            elif isinstance(node.orelse, cst.If):
                other = self.statement(node.orelse, dict(state))
            else:
                other = self.block(node.orelse.body.body, dict(state))
            joined = _join(then, other)
            restored = self._restored_by_flag(node.test, then, other)
            if restored is not None and joined is not None:
                _set(joined, *restored)
            return joined
        if isinstance(node, (cst.For, cst.While)):
            return self.loop(node, state)
        if isinstance(node, cst.With):
            leaving, self.leaving = self.leaving, []
            for item in node.items:
                if isinstance(item.item, cst.Call):
                    self.entering.add(item.item)
                self.expression(item.item, state)
                if item.asname is not None:
                    self.assign(item.asname.name, None, state)
            entered, self.leaving = self.leaving, leaving
            end = self.block(node.body.body, state)
            for call, (analysis, func), before in reversed(entered):  # the context managers' code after `yield`
                summary = analysis.summary(func)
                if end is not None and summary is not None:
                    effects = {key: _ENTRY for key in summary.at_yield} | summary.effects
                    self._apply_effects(call, self._bind_args(call, summary), effects, summary, analysis, end, before)
            return end
        if isinstance(node, cst.Try) or type(node).__name__ == "TryStar":
            start = dict(state)
            if node.finalbody is not None:
                self.finally_bodies.append(node.finalbody.body.body)
            try:
                body = self.block(node.body.body, dict(state))
                handler_in = _join(start, body)
                ends = []
                for handler in node.handlers:
                    ends.append(self.block(handler.body.body, dict(handler_in) if handler_in is not None else None))
                if node.orelse is not None:
                    body = self.block(node.orelse.body.body, body)
                ends.append(body)
            finally:
                if node.finalbody is not None:
                    self.finally_bodies.pop()
            joined = None
            for end in ends:
                joined = end if joined is None else _join(joined, end)
            if node.finalbody is not None:
                base = joined if joined is not None else handler_in
                after = self.block(node.finalbody.body.body, dict(base) if base is not None else None)
                return after if joined is not None else None
            return joined
        if isinstance(node, cst.Match):
            self.expression(node.subject, state)
            joined = dict(state)
            for case in node.cases:
                joined = _join(joined, self.block(case.body.body, dict(state)))
            return joined
        # anything else: look at the calls inside
        self.expression(node, state)
        return state

    def loop(self, node: cst.For | cst.While, state: State) -> State | None:
        if self._over_named_modules(node, state):
            return self._unrolled(node, state)
        if self._over_part_names(node, state):
            return self._unrolled_names(node, state)
        if isinstance(node, cst.For):
            self.expression(node.iter, state)
        else:
            self.expression(node.test, state)
        head = dict(state)
        breaks: list[State] = []
        backs: State | None = None  # the states at the end of an iteration
        for _ in range(4):
            self.breaks.append([])
            self.continues.append([])
            body_state = dict(head)
            if isinstance(node, cst.For):
                self.assign(node.target, None, body_state)
                self._parameter_loop(node)
            end = self.block(node.body.body, body_state)
            breaks = self.breaks.pop()
            continues = self.continues.pop()
            back = end
            for c in continues:
                back = c if back is None else _join(back, c)
            backs = back if backs is None else (_join(backs, back) if back is not None else backs)
            new_head = _join(head, back) if back is not None else head
            if new_head == head:
                break
            head = new_head
        # `for epoch in range(args.epochs)` with a default of 10: the body runs, there is no path around it
        exit_state = backs if backs is not None and self._runs_once(node) else head
        if node.orelse is not None:
            exit_state = self.block(node.orelse.body.body, dict(head))
        for b in breaks:
            exit_state = b if exit_state is None else _join(exit_state, b)
        return exit_state

    def _over_named_modules(self, node: cst.For | cst.While, state: State) -> bool:
        """``for m in (stem, block, head): m.eval()``: a loop over a literal sequence of followed modules,
        with no jump out of its body."""
        if not (isinstance(node, cst.For) and isinstance(node.target, cst.Name) and node.orelse is None
                and isinstance(node.iter, (cst.Tuple, cst.List)) and 0 < len(node.iter.elements) <= 8):
            return False
        for element in node.iter.elements:
            key = key_of(element.value) if isinstance(element.value, (cst.Name, cst.Attribute)) else None
            if key is None or not _tracked(state, key):
                return False
        return not self.model.nodes_of(node.body, cst.Break, cst.Continue, cst.Return, cst.Yield)

    def _unrolled(self, node: cst.For, state: State) -> State | None:
        """The loop run once per module, its variable naming each in turn (as ``m = stem`` would)."""
        current: State | None = state
        for element in node.iter.elements:
            if current is None:
                return None
            self.assign(node.target, element.value, current)
            current = self.block(node.body.body, current)
        return current

    def _over_part_names(self, node: cst.For | cst.While, state: State) -> bool:
        """``for name in ["conv1", "layer1"]: freeze(getattr(model, name))``: a loop over a literal sequence of
        attribute names of a followed module, with no jump out of its body."""
        if not (isinstance(node, cst.For) and isinstance(node.target, cst.Name) and node.orelse is None
                and isinstance(node.iter, (cst.Tuple, cst.List)) and 0 < len(node.iter.elements) <= 16):
            return False
        if not all(isinstance(e.value, cst.SimpleString) and str(e.value.evaluated_value).isidentifier()
                   for e in node.iter.elements if not isinstance(e, cst.StarredElement)) \
                or any(isinstance(e, cst.StarredElement) for e in node.iter.elements):
            return False
        variable = node.target.value
        uses = [call for call in self.model.nodes_of(node.body, cst.Call) if _getattr_of(call, variable) is not None]
        return bool(uses) and all(_tracked(state, _getattr_of(call, variable)) for call in uses) \
            and not self.model.nodes_of(node.body, cst.Break, cst.Continue, cst.Return, cst.Yield)

    def _unrolled_names(self, node: cst.For, state: State) -> State | None:
        """The loop run once per name, ``getattr(model, name)`` standing for ``model.<name>`` in its calls."""
        current: State | None = state
        variable = node.target.value  # type: ignore[union-attr]
        for element in node.iter.elements:
            if current is None:
                break
            self.part_names[variable] = str(element.value.evaluated_value)  # type: ignore[union-attr]
            self.assign(node.target, element.value, current)
            current = self.block(node.body.body, current)
        self.part_names.pop(variable, None)
        return current

    def _runs_once(self, node: cst.For | cst.While) -> bool:
        """A ``for`` over ``range(n)`` with ``n`` known to be at least 1 (a literal, a constant, an
        argparse default), or over a non-empty literal sequence: its body runs at least once."""
        if not isinstance(node, cst.For):
            return False
        it = node.iter
        if isinstance(it, (cst.List, cst.Tuple)):
            return bool(it.elements) and not any(isinstance(e, cst.StarredElement) for e in it.elements)
        if not (isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value == "range"
                and self.model.binding("range", None) is None and 1 <= len(it.args) <= 2
                and not any(a.star or a.keyword for a in it.args)):
            return False
        sizes = [self.model.batches.size(a.value, self.model.scope_of(it)) for a in it.args]
        if any(size is None for size in sizes):
            return False
        start, stop = (0, sizes[0].value) if len(sizes) == 1 else (sizes[0].value, sizes[1].value)
        return stop - start >= 1

    def _parameter_loop(self, node: cst.For) -> None:
        it = node.iter
        if isinstance(it, cst.Name) and it.value in self.params and isinstance(node.target, cst.Name):
            self.element_vars[node.target.value] = it.value  # `for m in frozen:`, the modules a caller passes
            return
        if isinstance(it, (cst.Tuple, cst.List)) and isinstance(node.target, cst.Name):
            keys = [key_of(element.value) for element in it.elements if not isinstance(element, cst.StarredElement)]
            if keys and len(keys) == len(it.elements) and all(keys):
                self.loop_modules[node.target.value] = keys  # `for enc in (model.stem, model.layer1):`
            return
        part = self._part_loop(it, node.target)
        if part is not None:
            self.part_vars[part[0]] = part[1]
        if not (isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute)):
            return
        owner = key_of(it.func.value)
        if owner is None:
            return
        target = node.target
        if it.func.attr.value in ("modules", "children") and isinstance(target, cst.Name):
            self.module_vars[target.value] = owner
        elif it.func.attr.value in ("named_modules", "named_children") and isinstance(target, cst.Tuple) \
                and len(target.elements) == 2 and isinstance(target.elements[1].value, cst.Name):
            self.module_vars[target.elements[1].value.value] = owner
        elif it.func.attr.value == "parameters" and isinstance(target, cst.Name):
            self.param_vars[target.value] = (owner, node)
        elif it.func.attr.value == "named_parameters" and isinstance(target, cst.Tuple) and len(target.elements) == 2:
            second = target.elements[1].value
            if isinstance(second, cst.Name):
                self.param_vars[second.value] = (owner, node)

    @staticmethod
    def _part_loop(it: cst.BaseExpression, target: cst.BaseElement) -> tuple[str, str] | None:
        """(variable, container) for ``for block in model.features`` (sliced, or ``enumerate``d with
        ``for i, block in ...``): the variable is one of the container's parts (``model.features[i]``)."""
        if isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value == "enumerate" \
                and len(it.args) == 1 and isinstance(target, cst.Tuple) and len(target.elements) == 2:
            it, target = it.args[0].value, target.elements[1].value
        if isinstance(it, cst.Subscript):
            it = it.value
        owner = key_of(it) if isinstance(it, cst.Attribute) else None
        return (target.value, owner) if owner is not None and isinstance(target, cst.Name) else None

    def _frozen_parameter(self, target: cst.Attribute, value: cst.BaseExpression, state: State) -> None:
        """``p.requires_grad = False`` for every ``p`` of a module (or its BatchNorm ones); ``= True``
        unfreezes it."""
        if isinstance(value, cst.Name) and value.value == "True" and isinstance(target.value, cst.Name) \
                and target.value.value in self.param_vars:
            owner, loop = self.param_vars[target.value.value]
            self._unfreeze(loop, owner)  # (from the loop over its parameters, which runs once)
            return
        if not (isinstance(value, cst.Name) and value.value == "False"):
            return
        if not (isinstance(target.value, cst.Name) and target.value.value in self.param_vars):
            owner = self._frozen_module_var(target, target.value)  # `m.weight.requires_grad = False`
            if owner is not None and _tracked(state, owner):
                self._freeze(target, owner, state)
            return
        owner, loop = self.param_vars[target.value.value]
        child: cst.CSTNode = target
        for ancestor in self.model.ancestors(target):
            if ancestor is loop:
                break
            if self._selects_some(ancestor, child):
                return  # only some parameters: not a frozen module
            child = ancestor
        # `for m in model.modules(): if isinstance(m, nn.BatchNorm2d): for p in m.parameters(): ...`
        owner = self.module_vars.get(owner, owner)
        if _tracked(state, owner):
            self._freeze(target, owner, state)

    def _frozen_module_var(self, node: cst.CSTNode, receiver: cst.BaseExpression) -> str | None:
        """The module whose BatchNorm layers (or all layers) freezing ``receiver`` freezes: ``m`` or
        ``m.weight`` / ``m.bias`` in ``for m in model.modules():``, unconditionally or under a test that
        names BatchNorm (``isinstance(m, nn.BatchNorm2d)``); None for anything else."""
        if isinstance(receiver, cst.Attribute) and receiver.attr.value in ("weight", "bias"):
            receiver = receiver.value
        if not (isinstance(receiver, cst.Name) and receiver.value in self.module_vars):
            return None
        child = node
        for ancestor in self.model.ancestors(node):
            if isinstance(ancestor, cst.For) and any(
                    isinstance(n, cst.Name) and n.value == receiver.value for n in walk(ancestor.target)):
                owner = self.module_vars[receiver.value]
                if (ancestor, owner) in self.frozen_loops:
                    return None  # `m.weight` then `m.bias`: one freeze of the module
                self.frozen_loops.add((ancestor, owner))
                return owner
            if self._selects_some(ancestor, child) or isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return None  # only some modules: not a frozen BatchNorm
            child = ancestor
        return None

    def _selects_some(self, node: cst.CSTNode, child: cst.CSTNode) -> bool:
        """``node`` is an ``if`` that lets through (to ``child``, on the path to a freeze) only some layers,
        not their BatchNorm ones: ``if name.startswith("layer1")``, ``if "bn" not in name``. An ``if`` that
        lets through the BatchNorm layers (``if isinstance(m, nn.BatchNorm2d)``) or all but a named part
        (``if not name.startswith("layer4")``, the ``else`` of ``if "fc" in name``) selects no subset."""
        if not isinstance(node, (cst.If, cst.IfExp)):
            return False
        test = self.model.code(node.test).lower()
        names_bn = "bn" in test or "norm" in test
        loop_variables = {n.value for loop in self.model.ancestors(node) if isinstance(loop, cst.For)
                          for n in walk(loop.target) if isinstance(n, cst.Name)}
        if not any(isinstance(n, cst.Name) and n.value in loop_variables for n in walk(node.test)):
            return not names_bn  # a flag (`if args.freeze:`), not a choice of layers: taken as some
        reaches_named = _negated(node.test) == (child is node.orelse)  # the freeze reaches what the test names
        return reaches_named != names_bn

    def small(self, node: cst.BaseSmallStatement, state: State) -> State | None:
        if isinstance(node, cst.Return):
            if node.value is not None:
                self.expression(node.value, state)
            self.returned.append(self.value_facts(node.value, state) if node.value is not None else None)
            if node.value is not None and (self.frozen or self.helper_frozen):
                self._note_returned_freezes(node.value, state, self.returned_freezes)
            self._note_returned_elements(node.value, state)
            leaving: State | None = dict(state)
            for final in reversed(self.finally_bodies):  # `try: return f(model) finally: model.train(was)`
                leaving = self.block(final, leaving) if leaving is not None else None
            if leaving is not None:
                self.exits.append(leaving)
            return None
        if isinstance(node, cst.Raise):
            return None
        if isinstance(node, cst.Break):
            if self.breaks:
                self.breaks[-1].append(dict(state))
            return None
        if isinstance(node, cst.Continue):
            if self.continues:
                self.continues[-1].append(dict(state))
            return None
        if isinstance(node, cst.Assign):
            self.expression(node.value, state)
            for target in node.targets:
                self.assign(target.target, node.value, state)
            return state
        if isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.expression(node.value, state)
                self.assign(node.target, node.value, state)
            return state
        if isinstance(node, cst.AugAssign):
            self.expression(node.value, state)
            self.assign(node.target, None, state)
            return state
        if isinstance(node, cst.Expr):
            self.expression(node.value, state)
            value = node.value
            if isinstance(value, cst.Attribute) and value.attr.value in ("eval", "train"):
                self._mode_meant(value, value.value, state)  # `model.eval` without the call: BN102's finding
            return state
        if isinstance(node, cst.Del):
            return state
        self.expression(node, state)
        return state

    # ------------------------------------------------------------ assignments
    def assign(self, target: cst.BaseExpression, value: cst.BaseExpression | None, state: State) -> None:
        if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)) \
                and len(target.elements) == len(value.elements) \
                and not any(isinstance(e, cst.StarredElement) for e in (*target.elements, *value.elements)):
            written = {key_of(e.value) for e in target.elements}
            roots = {k.split(".")[0] for k in written if k is not None}
            if None not in written and not roots & set(_names_read(value)):  # (not a swap: `a, b = b, a`)
                for element, given in zip(target.elements, value.elements):  # `G, D = Gen(), Disc()`
                    self.assign(element.value, given.value, state)
                return
        if isinstance(target, (cst.Tuple, cst.List)):
            for index, element in enumerate(target.elements):
                self.assign(element.value, None, state)
                if isinstance(value, cst.Call) and isinstance(element.value, cst.Name):
                    self._unpacked(element.value.value, value, index, state)
            return
        if isinstance(target, cst.StarredElement):
            self.assign(target.value, None, state)
            return
        if isinstance(target, cst.Attribute) and target.attr.value == "requires_grad" and value is not None:
            self._frozen_parameter(target, value, state)
            return
        if isinstance(target, cst.Attribute) and target.attr.value == "training":
            self._mode_meant(target, target.value, state)  # `model.training = False`: BN102's finding
            return
        if isinstance(target, cst.Name) and self.assume:
            self.assume = {k: v for k, v in self.assume.items() if _condition_name(k) != target.value}
        key = key_of(target)
        if key is None:
            return
        self.flags.pop(key, None)
        self._record_parts(key, value, state)
        facts = self.value_facts(value, state) if value is not None else None
        if facts is None and isinstance(target, cst.Name) and self._optimized(target.value, value):
            facts = self._built_by(_unwrap_passthrough(value), ModelKind.MAYBE, state) \
                or frozenset({Fact(UNKNOWN_MODE, value, "built", "", ModelKind.MAYBE)})
        if value is not None and isinstance(value, cst.Attribute) and value.attr.value == "training":
            owner = key_of(value.value)
            if owner is not None:
                self.flags[key] = (owner, _lookup(state, owner))
        _forget(state, key)
        source = key_of(value) if isinstance(value, (cst.Name, cst.Attribute)) else self._wrapped(value)
        if source != key:  # (`model = convert_sync_batchnorm(model)`: still the module it named)
            self.aliases = [(one, other) for one, other in self.aliases
                            if not any(k == key or _child_of(k, key) for k in (one, other))]
        if facts is not None:
            state[key] = facts
            self._frozen_in_init(value, key)
            self._frozen_in_builder(value, key)
            if source is not None and source != key and isinstance(target, cst.Name) and not _child_of(source, key):
                self.aliases.append((key, source))  # `m = self.model`: one module under two names
        elif isinstance(value, cst.Call):
            self._copied_in_init(value, key, state)
        built = _unwrap_passthrough(value)
        if isinstance(built, cst.Call) and isinstance(target, cst.Name):
            self._stored_in_init(built, key, state)  # `model = Classifier(encoder)`: model.encoder is encoder

    def _init_state(self, call: cst.Call) -> State | None:
        """What ``__init__`` of the class of this file that ``call`` builds leaves on ``self`` (``self.model =
        Net()``, ``self.ema = ModelEMA(self.model)``), as ``self.*`` keys; None for another call."""
        init = self._local_init(call)
        summary = self.a.summary(init) if init is not None else None
        if summary is None:
            return None
        return {k: facts for k, facts in summary.effects.items()
                if k.startswith("self.") and not ({f.mode for f in facts} & {ENTRY, UNKNOWN_MODE})}

    def _fresh_instance_call(self, call: cst.Call) -> bool:
        """``Trainer(args).fit()``: the method runs on what ``__init__`` left on the new instance."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call)):
            return False
        built = func.value
        info = self.model.classes.get(built.func.value) if isinstance(built.func, cst.Name) else None
        if info is None or func.attr.value not in info.methods or self._init_state(built) is None:
            return False
        self.a.method_calls.setdefault(info.methods[func.attr.value], []).append((self._init_state(built) or {}, None))
        return True

    def _optimized(self, name: str, value: cst.BaseExpression | None) -> bool:
        """``model = create_model(cfg.arch)`` of unknown content whose parameters this function hands to a
        ``torch.optim`` optimizer: an ``nn.Module`` (of unknown BatchNorm content: MAYBE)."""
        value = _unwrap_passthrough(value)
        if not isinstance(value, cst.Call) or isinstance(value.func, cst.Name) and value.func.value in self.model.classes:
            return False
        if self._optimized_names is None:
            self._optimized_names = set()
            for node in self.model.nodes_of(self.node if isinstance(self.node, cst.FunctionDef) else self.model.module, cst.Call):
                if not (node.args
                        and (self.model.qualname(node.func) or "").startswith("torch.optim.")):
                    continue
                inner = node.args[0].value
                if (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute)
                        and inner.func.attr.value in ("parameters", "named_parameters")
                        and isinstance(inner.func.value, cst.Name)):
                    self._optimized_names.add(inner.func.value.value)
        return name in self._optimized_names

    def _stored_in_init(self, call: cst.Call, key: str, state: State) -> None:
        """``trainer = Trainer(net)`` whose class stores ``net`` as ``self.model``: ``trainer.model`` is
        ``net``, under a second name (an alias: a mode change under either is one under the other)."""
        for self_key, facts in (self._init_state(call) or {}).items():  # `self.model = Net()` in `__init__`
            state[key + self_key[len("self"):]] = facts
        passes = any(_tracked(state, k) for k in map(key_of, (a.value for a in call.args)) if k is not None)
        for attribute, arg in self._stored_arguments(call, other_files=passes).items():
            held = key_of(arg)
            if held is not None and _tracked(state, held):
                state[f"{key}.{attribute}"] = _lookup(state, held)
                self.aliases.append((f"{key}.{attribute}", held))
            elif held is None:  # `Trainer(Net())`: a module only the trainer holds
                facts = self.value_facts(arg, state)
                if facts is not None:
                    state[f"{key}.{attribute}"] = facts

    def _unpacked(self, name: str, call: cst.Call, index: int, state: State) -> None:
        """``model, preprocess = build_model()``: ``model`` is element 0 of the tuple the builder returns."""
        if self.scope is not None and name not in self.scope.opaque:
            return  # (not a name of this function: `global model`)
        kind = element_kind(self.model, call, index, self.scope)
        if kind not in (ModelKind.BN, ModelKind.MAYBE):
            return
        facts = self._built_by(call, kind, state, index)
        if facts is not None:
            state[name] = facts
            self._frozen_in_builder(call, name, index)

    def _set_mode(self, state: State, key: str, facts: frozenset) -> None:
        """Set ``key``'s mode, and that of the modules a container built here holds."""
        _set(state, key, facts)
        for part in self.parts.get(key, ()):
            if _tracked(state, part):
                _set(state, part, facts)

    def _record_parts(self, key: str, value: cst.BaseExpression | None, state: State) -> None:
        """``key = nn.Sequential(encoder, head)`` (``.to(device)`` allowed): the followed modules in it."""
        self.parts.pop(key, None)
        for parts in self.parts.values():
            parts.discard(key)
        value = _unwrap_passthrough(value)
        if not (isinstance(value, cst.Call) and self.model.qualname(value.func) in _CONTAINERS):
            return
        members = {k for k in map(key_of, _container_elements(value)) if k is not None and _tracked(state, k)}
        if members:
            self.parts[key] = members

    def _copied_in_init(self, call: cst.Call, key: str, state: State) -> None:
        """``ema = ModelEma(model)`` where ``__init__`` does ``self.module = copy.deepcopy(model)``: follow
        ``ema.module`` from the mode of the model copied, then what ``__init__`` does to it (``.eval()``).
        Copies only: an attribute that refers to the caller's model would share its later mode changes.
        The class may live in another project file (``from ema import ModelEma``)."""
        if not any(_tracked(state, k) for k in map(key_of, (a.value for a in call.args)) if k is not None):
            return
        found = self._project_init(call)
        if found is None:
            return
        analysis, init = found
        bound = dict(self._bind_args(call, Summary(params=[p.name.value for p in init.params.params[1:]])))
        copies = _deep_copies(init, analysis.model)
        copied: list[str] = []
        for line in init.body.body:
            assign = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
            if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and assign.value in copies):
                continue
            target, param = assign.targets[0].target, copies[assign.value]
            if isinstance(target, cst.Attribute) and key_of(target.value) == "self" and param in bound:
                facts = self.value_facts(bound[param], state)
                if facts is not None:
                    state[f"{key}.{target.attr.value}"] = facts
                    copied.append(target.attr.value)
        summary = analysis.summary(init) if copied else None
        if summary is not None:
            effects = {k: f for k, f in summary.effects.items() if k.partition(".")[2].split(".")[0] in copied}
            self._apply_effects(call, [("self", _key_expression(key))], effects, summary, analysis, state)

    def _note_returned_elements(self, value: cst.BaseExpression | None, state: State) -> None:
        """``return model, transforms``: the mode of each element, and the modules frozen in each."""
        elements = [tuple_element(value, index) for index in range(len(value.elements))] \
            if isinstance(value, cst.Tuple) else [None]
        if None in elements:
            self.returned_elements.append(None)
            return
        self.returned_elements.append([self.value_facts(element, state) for element in elements])
        if self.frozen or self.helper_frozen:
            for index, element in enumerate(elements):
                self._note_returned_freezes(element, state, self.element_freezes.setdefault(index, []))

    def _note_returned_freezes(self, value: cst.BaseExpression, state: State,
                               into: list[tuple[cst.CSTNode, str]]) -> None:
        """The modules frozen here that ``return value`` gives back: the model itself, a part of it, or
        a member of a container built from them (``nn.Sequential(backbone, head)``)."""
        value = _unwrap_passthrough(value)
        returned = key_of(value)
        members: dict[str, str] = {}  # a member's key -> where the returned model holds it ("": somewhere)
        if returned is None and isinstance(value, cst.Call) and self.model.qualname(value.func) in _CONTAINERS:
            members = {k: "" for k in map(key_of, _container_elements(value)) if k is not None}
        elif returned is None and isinstance(value, cst.Call):
            members = self._stored_by_constructor(value)
        elif returned is not None and returned in self.parts:  # `model = nn.Sequential(backbone, head); return model`
            members = {k: "" for k in self.parts[returned]}
        for node, key in [*self.frozen, *self.helper_frozen]:
            if returned is not None and (key == returned or _child_of(key, returned)):
                rest = key[len(returned) + 1:]
            elif key in members:
                rest = members[key]
            else:
                continue
            kind = self.a.kind(key, _lookup(state, key), self.scope) if _tracked(state, key) else None
            if kind in (ModelKind.BN, ModelKind.MAYBE) and (node, rest) not in into:
                into.append((node, rest))

    def _stored_by_constructor(self, call: cst.Call) -> dict[str, str]:
        """``Probe(backbone, n)`` of a class of this file whose ``__init__`` keeps a parameter as it is
        (``self.backbone = backbone``): the argument's key -> the attribute that holds it."""
        func = call.func
        info = self.model.classes.get(func.value) if isinstance(func, cst.Name) and self.model.binding(func.value, None) is None else None
        init = info.methods.get("__init__") if info is not None else None
        if init is None or any(arg.star for arg in call.args):
            return {}
        names = [p.name.value for p in (*init.params.posonly_params, *init.params.params)][1:]
        given = dict(zip(names, (arg.value for arg in call.args if arg.keyword is None)))
        given.update({arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None})
        held: dict[str, str] = {}
        for attr, values in info.attributes.items():
            if len(values) == 1 and isinstance(values[0][0], cst.Name) and values[0][1].node is init:
                key = key_of(given[values[0][0].value]) if values[0][0].value in given else None
                if key is not None:
                    held[key] = attr
        return held

    def _frozen_in_builder(self, value: cst.BaseExpression | None, key: str, index: int | None = None) -> None:
        """``model = build_model()`` where the builder freezes (part of) the model it returns: watch it here;
        with ``index``, element ``index`` of the tuple it returns (``model, tf = build_model()``).
        Not when the file changes the mode of a part by index (``model[0].eval()``), which is not followed."""
        value = _unwrap_passthrough(value)
        if not isinstance(value, cst.Call):
            return
        target = self.a.callee(value)
        summary = target[0].summary(target[1]) if target is not None else None
        if summary is None or _INDEXED_MODE_CHANGE.search(self.model.source):
            return
        freezes = summary.returned_freezes if index is None else summary.element_freezes.get(index, [])
        for node, rest in freezes:
            if not self._tests_hold(node, summary, self._bind_args(value, summary), target):
                continue
            self.watch[node] = (f"{key}.{rest}" if rest else key, "frozen")

    def _frozen_in_init(self, value: cst.BaseExpression | None, key: str) -> None:
        """``model = Net()`` where ``Net.__init__`` freezes ``self.backbone``: watch ``model.backbone``."""
        value = _unwrap_passthrough(value)  # Net().to(device)
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)):
            return
        info = self.model.classes.get(value.func.value)
        init = info.methods.get("__init__") if info is not None else None
        summary = self.a.summary(init) if init is not None else None
        for node, frozen in summary.freezes if summary is not None else ():
            root, _, rest = frozen.partition(".")
            if root == "self":
                self.watch[node] = (f"{key}.{rest}" if rest else key, "frozen")

    def value_facts(self, expr: cst.BaseExpression, state: State, depth: int = 0) -> frozenset | None:
        """The mode of the model ``expr`` yields (after its calls ran), or None if not a model."""
        if depth > 6:
            return None
        key = key_of(expr)
        if key is not None:
            if key in state or any(_child_of(key, k) for k in state):
                return _lookup(state, key)
            return None
        if isinstance(expr, cst.IfExp):  # `resnet56() if deep else resnet20()`: either, as after an if/else
            body, orelse = self.value_facts(expr.body, state, depth + 1), self.value_facts(expr.orelse, state, depth + 1)
            return body | orelse if body is not None and orelse is not None else None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Call) \
                and model_kind(self.model, expr, self.model.scope_of(expr)) is ModelKind.BN:
            # `mobilenet_v2(weights=...).features`: part of a model built here, in training mode
            return frozenset({Fact(TRAIN, expr, "built", "built at line {line} (models start in training mode)",
                                   ModelKind.BN)})
        if not isinstance(expr, cst.Call):
            return None
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in _PASSTHROUGH | {"eval", "train"}:
            inner = key_of(func.value)
            if inner is not None:
                return _lookup(state, inner) if _tracked(state, inner) else None
            facts = self.value_facts(func.value, state, depth + 1)
            if facts is None:
                return None
            kinds = {f.kind for f in facts if f.kind is not None}
            kind = next(iter(kinds)) if len(kinds) == 1 else None
            if func.attr.value == "eval" and not expr.args:
                return frozenset({Fact(EVAL, expr, "eval()", "`.eval()` at line {line}", kind)})
            if func.attr.value == "train":
                return frozenset(Fact(f.mode, f.node, f.why, f.where, kind) for f in self._train_arg(expr, "", state))
            return facts
        qn = self.model.qualname(func)
        if qn in _COPIES or qn in _WRAPPERS:
            if expr.args:
                return self.value_facts(expr.args[0].value, state, depth + 1)
            return None
        kind = model_kind(self.model, expr, self.model.scope_of(expr))
        if kind in (ModelKind.BN, ModelKind.MAYBE):
            built_by = self._built_by(expr, kind, state)
            if built_by is not None:
                return built_by
            if qn in _LOADED or (qn == "torch.hub.load" and not _hub_builds_train(expr)):
                # it keeps the mode it was saved in (or its hub entry point chose): unknown
                return frozenset({Fact(UNKNOWN_MODE, expr, "loaded", "", kind)})
            if qn == "torch.hub.load" or (qn or "").startswith(("torchvision.", "timm.")):
                where = "built at line {line} (models start in training mode)"
            else:
                where = "built at line {line} (modules start in training mode)"
            return frozenset({Fact(TRAIN, expr, "built", where, kind)})
        return None

    def _built_by(self, call: cst.Call, kind: ModelKind, state: State, index: int | None = None) -> frozenset | None:
        """The mode of the model a project function (``build_model()``) returns, from its ``return``s; for
        one that gives back the model it was given, unchanged (``load_checkpoint(model, path)``), its mode here.
        With ``index``: of the model at that place of the tuple it returns."""
        func = call.func
        if not isinstance(func, cst.Name) and not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                                                   and func.value.value != "self"):
            return None
        target = self.a.callee(call)
        if target is None:
            return None
        summary = target[0].summary(target[1])
        returns = summary.returns if summary is not None else None
        if index is not None:
            returns = summary.element_returns.get(index) if summary is not None else None
        # (returns None: some `return` gives no model, e.g. one for lists only in `to_device(data, device)`)
        given = passed_through(target[0].model, target[1], call) if returns in (_ENTRY, None) and index is None else None
        if given is not None:
            return self.value_facts(given, state)
        if not returns or {f.mode for f in returns} - {TRAIN, EVAL}:
            return frozenset({Fact(UNKNOWN_MODE, call, "helper", "", kind)})  # as its caller left it, or unknown
        out = set()
        for fact in returns:
            if fact.mode == TRAIN:
                out.add(Fact(TRAIN, call, "built", "built at line {line} (modules start in training mode)", kind))
            else:
                out.add(Fact(EVAL, call, "helper", f"`{summary.name}()` at line {{line}} returns it in eval mode", kind))
        return frozenset(out)

    # ------------------------------------------------------------- expressions
    def expression(self, expr: cst.CSTNode, state: State) -> None:
        """Apply the effects of the calls in ``expr``, innermost first."""
        calls = []
        stack = [expr]
        yields = False
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.Lambda, cst.FunctionDef, cst.ClassDef)):
                continue
            if isinstance(node, cst.Call):
                calls.append(node)
            elif isinstance(node, cst.Yield):
                yields = True
            stack.extend(children(node))
        for call in reversed(calls):  # pre-order reversed: arguments and receivers before the call
            self.call(call, state)
        if yields:
            self.yields.append(dict(state))

    def _wrapped(self, value: cst.BaseExpression | None) -> str | None:
        """The module a wrapper holds: ``DDP(net, ...)``, ``torch.compile(net.to(device))`` -> ``net``
        (the wrapper's mode is the module's: ``.train()`` on one sets the other)."""
        value = _unwrap_passthrough(value)
        if not (isinstance(value, cst.Call) and value.args and value.args[0].keyword is None
                and self.model.qualname(value.func) in _WRAPPERS):
            return None
        inner = _unwrap_passthrough(value.args[0].value)
        return key_of(inner) if isinstance(inner, (cst.Name, cst.Attribute)) else None

    def call(self, call: cst.Call, state: State) -> None:
        if not self.aliases:
            self._call(call, state)
            return
        before = dict(state)
        self._call(call, state)
        for one, other in self.aliases:
            for changed, twin in ((one, other), (other, one)):
                moved = [k for k in {*state, *before} if (k == changed or _child_of(k, changed))
                         and state.get(k) is not before.get(k)]
                if moved:  # one module under two names: what happened under one happened under the other
                    for key in moved:
                        mirrored = twin + key[len(changed):]
                        if key in state:
                            state[mirrored] = state[key]
                        else:
                            _forget(state, mirrored)
                    break

    def _call(self, call: cst.Call, state: State) -> None:
        a = self.a
        func = call.func
        passes_model = self._passes_tracked(call, state)
        if passes_model and a.is_training_call(call) and not a.under_no_grad(call):
            self._training_helper(call, state)
        # exports
        qn = self.model.qualname(func)
        if qn in _EXPORTS and call.args:
            index = _EXPORTS[qn]
            args = [arg for arg in call.args if not arg.keyword and not arg.star]
            if len(args) > index:
                key = _submodule_key(args[index].value, state)
                if key is not None and (key in state or any(_child_of(key, k) for k in state)):
                    a.exports[call] = _merge(a.exports.get(call), key, _lookup(state, key), call, self)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
            target = a.callee(call)
            if target is not None:
                self._apply_summary(call, target, state)
                return
        key = key_of(func)
        if key is not None and _is_module_call(func, key, state):
            self._use(call, key, state)
            return
        if isinstance(func, cst.Attribute) and key is not None and key_of(func.value) in state \
                and self._forward_method(key_of(func.value), func.attr.value, state, call):
            self._use(call, key_of(func.value), state)  # `vae.encode(x)`: a method that runs its submodules
            return
        if (key is not None and isinstance(func, cst.Attribute) and key.split(".")[0] in self.params
                and key_of(func.value) is not None and _lookup(state, key_of(func.value)) == _ENTRY
                and func.attr.value not in _SAFE_METHODS and func.attr.value not in ("eval", "train", "forward", "apply")):
            a.uses.setdefault(call, Site(call, key, _ENTRY, self.scope, exact=True))
            held = a.attribute_class(func.value, call)
            if held is not None and func.attr.value in held.attributes and func.attr.value not in held.methods:
                return  # `self.ema.module(x)`: a forward of the module `ModelEMA.__init__` stores, not a method
        if isinstance(func, cst.Attribute):
            receiver = key_of(func.value)
            method = func.attr.value
            if receiver is None and method in ("eval", "train", "requires_grad_"):
                receiver = receiver_key(func.value)
                if receiver is not None and not _tracked(state, receiver):
                    receiver = None
            if method == "apply" and len(call.args) == 1 and receiver is not None and self._evals_batchnorm(call.args[0].value):
                # `model.backbone.apply(set_bn_eval)`: its BatchNorm layers go to eval, as in a modules() loop
                for owner in self.loop_modules.get(receiver, [receiver]):
                    if _tracked(state, owner):
                        _set(state, owner, _UNKNOWN)
                        self.watch[call] = (owner, "eval")
                        self.bn_evals.add(owner)
                return
            if method == "apply" and len(call.args) == 1 and self._keeps_modes(call.args[0].value):
                return  # `netG.apply(weights_init)`: an initialiser that never changes a mode
            if receiver in self.element_vars and method in ("eval", "train") and not _tracked(state, receiver):
                self.element_modes.add(self.element_vars[receiver])  # the caller knows which modules: see _items_set
                return
            if method == "requires_grad_" and receiver is not None and not _tracked(state, receiver) \
                    and call.args and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == "False":
                owner = self._frozen_module_var(call, func.value)  # `m.requires_grad_(False)` over model.modules()
                if owner is not None and _tracked(state, owner):
                    self._freeze(call, owner, state)
                    return
            if receiver in self.part_vars and not _tracked(state, receiver) and _tracked(state, self.part_vars[receiver]):
                owner = self.part_vars[receiver]  # blocks of `model.features`: taken for the container
                if method == "eval" and not call.args:
                    self._set_mode(state, owner, frozenset({Fact(EVAL, call, "eval()", "`.eval()` at line {line}")}))
                    self.watch[call] = (owner, "eval")
                    return
                if method == "requires_grad_" and call.args and isinstance(call.args[0].value, cst.Name) \
                        and call.args[0].value.value == "False":
                    self._freeze(call, owner, state)
                    return
            if receiver in self.module_vars and method in ("eval", "train") and not _tracked(state, receiver):
                owner = self.module_vars[receiver]  # some submodules (e.g. its BatchNorm layers) change mode
                if _tracked(state, owner):
                    _set(state, owner, _UNKNOWN)
                    if self._batchnorm_to_eval(call):
                        self.watch[call] = (owner, "eval")
                        self.bn_evals.add(owner)
                return
            if receiver is not None:
                if method == "forward" and _tracked(state, receiver):
                    self._use(call, receiver, state)
                    return
                if method == "eval" and not call.args:
                    self._set_mode(state, receiver, frozenset({Fact(EVAL, call, "eval()", "`.eval()` at line {line}")}))
                    if "." in receiver:
                        self.watch[call] = (receiver, "eval")
                    return
                if method == "train":
                    facts = self._train_arg(call, receiver, state)
                    self._set_mode(state, receiver, facts)
                    if "." in receiver and {f.mode for f in facts} == {EVAL}:
                        self.watch[call] = (receiver, "eval")
                    return
                if method == "requires_grad_":
                    flag = call.args[0].value if call.args else None
                    if isinstance(flag, cst.Name) and flag.value == "False":
                        self._freeze(call, receiver, state)
                    elif flag is None or (isinstance(flag, cst.Name) and flag.value == "True"):
                        self._unfreeze(call, receiver)
                    return
                if method in _SAFE_METHODS:
                    return
        if self._fresh_instance_call(call):
            return
        # another file's function can change only the modes of what it is given: look it up only then
        inert = a.indexed_inert(call, self._bind_args, lambda key: _tracked(state, key)) if passes_model else None
        if inert is not None:
            self._forget_unbound(call, inert, state)
            return
        target = a.callee(call, other_files=passes_model)
        if target is not None:
            self._apply_summary(call, target, state)
            return
        if isinstance(func, cst.Attribute):
            receiver = key_of(func.value)
            if receiver is not None and _tracked(state, receiver) and receiver != "self" \
                    and not a.submodule_name(func.attr.value) and not _in_place_tensor_op(func.attr.value) \
                    and receiver.rpartition(".")[2] not in _TENSOR_ATTRIBUTES and not a.method_keeps_modes(func.attr.value):
                _set(state, receiver, _UNKNOWN)  # an unknown method of the model may set its mode
            elif receiver is not None and _tracked(state, receiver) and receiver != "self" \
                    and a.method_runs_self(func.attr.value):
                self._use(call, receiver, state)  # `model.training_step(batch)`: a method that runs the model

        if qn in _SAFE_CALLEES or (isinstance(func, cst.Name) and func.value in _SAFE_CALLEES) or _keeps_modes(qn):
            return
        if _helper_keeps_modes(func):
            return
        if isinstance(func, cst.Attribute) and _in_place_tensor_op(func.attr.value):
            return  # `ema_v.mul_(self.decay)`: a tensor's in-place op reads its arguments' values only
        if not any(_tracked(state, k) for k in map(key_of, (a.value for a in call.args)) if k is not None):
            return  # (nothing followed is given: no need to look into the callee's class)
        copied = self._copied_params(call)
        stored = self._stored_arguments(call)
        for arg in call.args:
            key = key_of(arg.value)
            if key is not None and _tracked(state, key) and not (arg.keyword is None and call.args.index(arg) in copied) \
                    and not any(value is arg.value for value in stored.values()):
                _set(state, key, _UNKNOWN)

    def _stored_arguments(self, call: cst.Call, other_files: bool = True) -> dict[str, cst.BaseExpression]:
        """attribute -> argument, for the arguments that a project class (of this file, or with
        ``other_files`` one imported) only stores on ``self`` (``self.model = model`` in ``__init__``, or a
        ``@dataclass`` field of this file): building the instance leaves their modes as they are."""
        func = call.func
        if not isinstance(func, cst.Name) or any(a.star for a in call.args):
            return {}
        info = self.model.classes.get(func.value)
        if info is None or self.model.binding(func.value, self.scope) is not None:
            found = self._project_init(call) if other_files else None
            init = found[1] if found is not None else None
            if init is None:
                return {}
        else:
            init = info.methods.get("__init__")
        if init is not None:
            params = [p.name.value for p in init.params.params[1:]]
            stored = _stored_params(init)
        elif any(_is_dataclass_decorator(d.decorator, self.model) for d in info.node.decorators):
            params = [line.body[0].target.value for line in info.node.body.body
                      if isinstance(line, cst.SimpleStatementLine) and isinstance(line.body[0], cst.AnnAssign)
                      and isinstance(line.body[0].target, cst.Name)]
            stored = {name: name for name in params}
        else:
            return {}
        out = {}
        for index, arg in enumerate(call.args):
            param = arg.keyword.value if arg.keyword is not None else params[index] if index < len(params) else None
            if param in stored:
                out[stored[param]] = arg.value
        return out

    def _copied_params(self, call: cst.Call) -> set[int]:
        """Positions of the arguments a project class only deep-copies in ``__init__``
        (``ModelEma(model)``): the caller's model is not kept, so its mode does not change."""
        found = self._project_init(call)
        if found is None:
            return set()
        analysis, init = found
        read = list(_names_read(init.body))
        copied = list(_deep_copies(init, analysis.model).values())
        return {index for index, param in enumerate(init.params.params[1:])
                if param.name.value in read and read.count(param.name.value) == copied.count(param.name.value)}

    def _local_init(self, call: cst.Call) -> cst.FunctionDef | None:
        """The ``__init__`` of the class of this file that ``call`` builds (``ModelEma(model)``)."""
        func = call.func
        info = self.model.classes.get(func.value) if isinstance(func, cst.Name) else None
        if info is None or self.model.binding(func.value, self.scope) is not None:
            return None
        return info.methods.get("__init__")

    def _project_init(self, call: cst.Call) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
        """The ``__init__`` of the project class ``call`` builds: of this file, or imported from another."""
        init = self._local_init(call)
        if init is not None:
            return self.a, init
        func = call.func
        dotted = self.model.imports.get(func.value) if isinstance(func, cst.Name) else None
        found = self.model.imported(dotted, "class") if dotted else None
        if found is None or found[1] not in found[0].classes or found[0] is self.model:
            return None
        init = found[0].classes[found[1]].methods.get("__init__")
        return (found[0].modes, init) if init is not None else None

    def _train_arg(self, call: cst.Call, key: str, state: State) -> frozenset:
        if not call.args:
            return frozenset({Fact(TRAIN, call, "train()", "`.train()` at line {line}")})
        arg = call.args[0]
        if arg.keyword is not None and arg.keyword.value != "mode":
            return _UNKNOWN
        value = arg.value
        if isinstance(value, cst.Name) and value.value in ("True", "False"):
            if value.value == "True":
                return frozenset({Fact(TRAIN, call, "train()", "`.train(True)` at line {line}")})
            return frozenset({Fact(EVAL, call, "eval()", "`.train(False)` at line {line}")})
        flag_key = key_of(value)
        if flag_key in self.flags and self.flags[flag_key][0] == key:
            return self.flags[flag_key][1]  # restores the mode saved earlier
        if isinstance(value, cst.Attribute) and value.attr.value == "training":
            return _UNKNOWN
        return _UNKNOWN

    def _use(self, call: cst.Call, key: str, state: State) -> None:
        a = self.a
        facts = _lookup(state, key)
        a.uses[call] = _merge(a.uses.get(call), key, facts, call, self)
        if facts == _ENTRY and key in self.params:
            self.entry_uses.append((call, key))
        if self.assume and not self._trains_here(a.region(call)):
            reason = self._gradients_off_here(call)
            if reason is not None:
                old = a.path_evals.get(call)
                a.path_evals[call] = (_merge(old[0] if old else None, key, facts, call, self), reason)
        if a.under_no_grad(call) and self._frozen_forward(key, call):
            self._watch_training(call, key, state)  # a frozen encoder's forward in a probe's training loop
        if not a.under_no_grad(call) and self._trains_here(a.region(call)):
            a.train_uses[call] = _merge(a.train_uses.get(call), key, facts, call, self)
            self._watch_training(call, key, state)
            if key in self.params:
                self.stepped[key] = self.stepped.get(key, frozenset()) | facts
            if ENTRY in {f.mode for f in facts}:
                root = key.split(".")[0]
                if root in self.params:
                    self.trained.add(root)
                if not is_loss_value(self.model, call) and not loss_named(key):  # (a model, not the loss it feeds)
                    _set(state, key, after_training_step(facts, call))  # (a model it trains is in training mode)

    def _forward_method(self, receiver: str, method: str, state: State, call: cst.Call) -> bool:
        """Whether ``method`` is one the class of this file that built ``receiver`` (or ``self.attr`` it is an
        alias of) defines, and its body runs one of the submodules ``__init__`` stores (``def encode(self, x):
        return self.enc(x)``)."""
        if method in _SAFE_METHODS or method in ("eval", "train", "forward", "apply", "__init__"):
            return False
        classes = []
        for fact in _lookup(state, receiver):
            built = _unwrap_passthrough(fact.node) if isinstance(fact.node, cst.Call) else None
            if isinstance(built, cst.Call) and isinstance(built.func, cst.Name) and built.func.value in self.model.classes:
                classes.append(self.model.classes[built.func.value])
        for key in {receiver, *(other for one, other in self.aliases if one == receiver)}:
            parts = key.split(".")
            if len(parts) == 2 and parts[0] == "self":
                held = self.a.attribute_class(cst.Attribute(value=cst.Name("self"), attr=cst.Name(parts[1])), call)
                if held is not None:
                    classes.append(held)
        for info in classes:
            function = info.methods.get(method)
            if function is not None and any(
                    isinstance(c.func, cst.Attribute) and isinstance(c.func.value, cst.Name) and c.func.value.value == "self"
                    and c.func.attr.value in info.attributes and c.func.attr.value not in info.methods
                    for c in self.model.nodes_of(function, cst.Call)):
                return True
        return False

    def _frozen_forward(self, key: str, call: cst.Call) -> bool:
        """``feats = encoder(x)`` under ``no_grad`` in a loop that trains another module, with ``encoder``
        frozen in this function: in training mode its BatchNorm statistics still move. Not a teacher whose
        weights the loop updates (``ema_p.mul_(...)`` over its ``parameters()``, or handed to a helper)."""
        region = self.a.region(call)
        if not isinstance(region, (cst.For, cst.While)) or not self._trains_here(region):
            return False
        if not any(reason == "frozen" and watched == key for watched, reason in self.watch.values()):
            return False
        for node in self.model.nodes_of(region, cst.Call):
            if node is call:
                continue
            func = node.func
            if isinstance(func, cst.Attribute) and key_of(func.value) == key and func.attr.value not in ("eval", "train", "forward"):
                return False  # `teacher.parameters()`, `teacher.load_state_dict(...)`: updated here
            if any(key_of(arg.value) == key for arg in node.args):
                return False  # `update_ema(teacher, student)`
        return True

    def _trains_here(self, region: cst.CSTNode) -> bool:
        """Whether ``region`` runs a training step on this path: one not in a branch the assumed
        conditions rule out (`if phase == 'train': loss.backward()` where `phase` is not 'train')."""
        if not self.assume:
            return self.a.trains(region, direct=True)
        return any(not self._ruled_out(step, region) for step in self.a.training_calls(region, direct=True))

    def _gradients_off_here(self, call: cst.Call) -> str | None:
        """Why gradients are off at ``call`` on this path: ``with torch.set_grad_enabled(cond):`` with
        ``cond`` assumed false."""
        for ancestor in self.model.ancestors(call):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return None
            if not isinstance(ancestor, cst.With):
                continue
            for item in ancestor.items:
                switch = item.item
                if not (isinstance(switch, cst.Call) and switch.args
                        and self.model.qualname(switch.func) == "torch.set_grad_enabled"):
                    continue
                condition = _condition(switch.args[0].value)
                if (condition is not None and self.assume.get(condition[0], condition[1]) != condition[1]
                        and self._can_fail(condition, ancestor)):
                    test = self.model.code(switch.args[0].value)
                    return f"under `torch.set_grad_enabled({test})` where `{test}` is false"
        return None

    def _can_fail(self, condition: tuple[str, bool], node: cst.CSTNode) -> bool:
        """Whether the code shows a value that makes ``condition`` false at ``node``: a literal of the
        enclosing ``for name in ('train', 'val')``, or one that a call of the enclosing function passes
        for (or leaves as the default of) the parameter it tests."""
        key, outcome = condition
        name = _condition_name(key)

        def fails(value: cst.BaseExpression | None) -> bool:
            literal = _literal(value)
            if literal is _NOT_LITERAL:
                return False
            holds = bool(literal) if name == key else f"{name}=={literal!r}" == key
            return holds != outcome

        for ancestor in self.model.ancestors(node):
            if isinstance(ancestor, cst.For) and isinstance(ancestor.target, cst.Name) \
                    and ancestor.target.value == name and isinstance(ancestor.iter, (cst.List, cst.Tuple)):
                return any(fails(element.value) for element in ancestor.iter.elements)
            if isinstance(ancestor, cst.FunctionDef):
                return self._passed_to_fail(ancestor, name, fails)
        return False

    def _passed_to_fail(self, func: cst.FunctionDef, name: str, fails) -> bool:
        params = list(func.params.posonly_params) + list(func.params.params)
        positions = [p.name.value for p in params]
        declared = [p for p in params + list(func.params.kwonly_params) if p.name.value == name]
        if not declared:
            return False
        default = declared[0].default
        for site in self.model.calls:
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
            if fails(given if given is not None else default):
                return True
        return False

    def _ruled_out(self, node: cst.CSTNode, region: cst.CSTNode) -> bool:
        child = node
        for ancestor in self.model.ancestors(node):
            if ancestor is region:
                return False
            if isinstance(ancestor, cst.If):
                condition = _condition(ancestor.test)
                if condition is not None and condition[0] in self.assume:
                    taken = ancestor.body if self.assume[condition[0]] == condition[1] else ancestor.orelse
                    if child is not taken and child is not ancestor.test:
                        return True
            child = ancestor
        return False

    def _passes_tracked(self, call: cst.Call, state: State) -> bool:
        """Whether the call is given a module whose mode this flow follows (``self`` for ``self.f()``)."""
        func = call.func
        keys = [key_of(arg.value) for arg in call.args]
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            keys.append(func.value.value)  # `self.f()`, `model.freeze_bn()`
        # a module followed, or one inside it (a helper given `model` may set `model.backbone`'s mode)
        return any(key is not None and (_tracked(state, key) or any(_child_of(k, key) for k in state)) for key in keys)

    def _training_helper(self, call: cst.Call, state: State) -> None:
        """A call of a project function that trains some of its parameters in their entry mode."""
        summary = self.a._callee_summary(call)
        if summary is None or not summary.trains:
            return
        for param, arg in self._bind_args(call, summary):
            key = key_of(arg)
            if param in summary.trains and key is not None and _tracked(state, key):
                facts = _lookup(state, key)
                self.a.train_uses[call] = _merge(self.a.train_uses.get(call), key, facts, call, self)
                self._watch_training(call, key, state)
                if ENTRY in {f.mode for f in facts} and key.split(".")[0] in self.params:
                    self.trained.add(key.split(".")[0])

    def _freeze(self, node: cst.CSTNode, key: str, state: State) -> None:
        self.a.freezes[node] = Site(node, key, _lookup(state, key), self.scope)
        self.watch[node] = (key, "frozen")
        self.frozen.append((node, key))

    def _param_tests(self, node: cst.CSTNode) -> list[tuple[str, bool]]:
        """The flags among this function's parameters that ``node`` runs under (`if feature_extract:`),
        each with the value it needs. (Other tests, `if i < n:` in a loop over blocks, are not followed.)"""
        tests: list[tuple[str, bool]] = []
        child: cst.CSTNode = node
        for ancestor in self.model.ancestors(node):
            if ancestor is self.node:
                break
            if isinstance(ancestor, (cst.If, cst.IfExp)) and child is not ancestor.test:
                test, wanted = ancestor.test, child is ancestor.body
                if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                    test, wanted = test.expression, not wanted
                if isinstance(test, cst.Name) and test.value in self.params[:self.declared]:
                    tests.append((test.value, wanted))
            child = ancestor
        return tests

    def _tests_hold(self, node: cst.CSTNode, summary: Summary, bound, target) -> bool:
        """Whether the freeze at ``node`` in the callee happens at this call: its tests on the callee's
        flags hold with this call's arguments (or the defaults). A flag passed on from this function's own
        parameter (`freeze(model, feature_extract)`) becomes a test of this function, for its callers."""
        if node not in summary.freeze_tests:
            return True
        tests = summary.freeze_tests[node]
        given = dict(bound)
        func = target[1] if target is not None else None
        defaults = {p.name.value: p.default for p in (*func.params.params, *func.params.kwonly_params)
                    if p.default is not None} if isinstance(func, cst.FunctionDef) else {}
        carried = []
        for flag, wanted in tests:
            value = given.get(flag, defaults.get(flag))
            if flag in given and isinstance(value, cst.Name) and value.value in self.params[:self.declared]:
                carried.append((value.value, wanted))
                continue
            scope = self.scope if flag in given else (self.model.scopes.get(func) if func is not None else None)
            known = self.model.value(value, scope) if value is not None else UNKNOWN_VALUE
            if known is UNKNOWN_VALUE or bool(known) != wanted:
                return False
        if carried:
            self.carried_tests[node] = carried
        return True

    def _unfreeze(self, node: cst.CSTNode, key: str) -> None:
        """``key.requires_grad_(True)``: the modules in it train from here on, so their BatchNorm layers
        belong in training mode; stop watching those frozen or put in eval before. Only for an unfreeze
        that runs whenever they do: one under a test or in a loop of its own (`if epoch == unfreeze_at:`)
        leaves the epochs before it training frozen layers."""
        branching = (cst.If, cst.For, cst.While, cst.Try, cst.Match)  # (bodies that may run or not, or repeat)
        own = [a for a in self.model.ancestors(node) if isinstance(a, branching)]
        for watched_node, (watched, _reason) in list(self.watch.items()):
            if (watched == key or watched.startswith(key + ".")) \
                    and all(a in self.model.ancestors(watched_node) for a in own):
                del self.watch[watched_node]

    def _mode_meant(self, node: cst.CSTNode, receiver: cst.BaseExpression, state: State) -> None:
        """A mode change that does not happen (``model.eval`` uncalled, ``model.training = False``).

        BN102 reports it. The mode stays what it was, as in Python: the evaluation after it runs in
        training mode (BN101 reports the first one, see ``first_after_slip``), an export exports it so.
        """
        key = key_of(receiver)
        if key is not None and _tracked(state, key):
            self.a.slips.append((node, key, self.scope))

    def _restored_by_flag(self, test: cst.BaseExpression, then: State | None, other: State | None):
        """``was = m.training ... if was: m.train()`` (else ``m.eval()``): (m, the mode saved in ``was``)."""
        negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
        flag = key_of(test.expression if negated else test)  # type: ignore[attr-defined]
        if flag not in self.flags or then is None or other is None:
            return None
        key, saved = self.flags[flag]
        trained, evaluated = (other, then) if negated else (then, other)
        if {f.mode for f in _lookup(trained, key)} == {TRAIN} and {f.mode for f in _lookup(evaluated, key)} == {EVAL}:
            return key, saved
        return None

    def _keeps_modes(self, fn: cst.BaseExpression) -> bool:
        """``fn`` is a function of this file (top-level, or defined in the function around the call: an
        ``init_weights`` helper's ``def fn(m)``) whose body sets no mode and calls no function of this file."""
        if self.model.qualname(fn) in _MODE_KEEPING_APPLIED:
            return True
        func = self.model.local_function(fn.value, self.model.scope_of(fn)) if isinstance(fn, cst.Name) else None
        if func is None:
            return False
        for node in walk(func.body):
            if isinstance(node, cst.Attribute) and node.attr.value in ("eval", "train", "training", "apply"):
                return False
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and (
                    node.func.value in self.model.functions
                    or self.model.local_function(node.func.value, self.model.scope_of(node)) is not None):
                return False
        return True

    def _evals_batchnorm(self, fn: cst.BaseExpression) -> bool:
        """``fn`` is a function of this file that puts the module it is given in eval when it is a
        BatchNorm (``def set_bn_eval(m): if isinstance(m, nn.BatchNorm2d): m.eval()``)."""
        func = self.model.functions.get(fn.value) if isinstance(fn, cst.Name) else None
        params = func.params.params if func is not None else ()
        if not params:
            return False
        name = params[0].name.value
        return any(isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                   and isinstance(node.func.value, cst.Name) and node.func.value.value == name
                   and self._batchnorm_to_eval(node) for node in walk(func.body))

    def _batchnorm_to_eval(self, call: cst.Call) -> bool:
        """``m.eval()`` / ``m.train(False)`` under an ``isinstance(m, nn.BatchNorm2d)``-like test."""
        func = call.func
        if not isinstance(func, cst.Attribute):
            return False
        if func.attr.value == "eval" and call.args:
            return False
        if func.attr.value == "train" and not (
            len(call.args) == 1 and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == "False"
        ):
            return False
        for ancestor in self.model.ancestors(call):
            if isinstance(ancestor, (cst.For, cst.FunctionDef)):
                return False
            if isinstance(ancestor, cst.If) and _BATCHNORM_TEST.search(self.model.code(ancestor.test)):
                return True
        return False

    def _watch_training(self, site: cst.CSTNode, trained: str, state: State) -> None:
        """At a training step of ``trained``: record the modes of the watched modules inside it."""
        for node, (key, reason) in self.watch.items():
            names = [key] + [twin + key[len(name):] for one, other in self.aliases
                             for name, twin in ((one, other), (other, one)) if key == name or _child_of(key, name)]
            related = any(
                name == trained or _child_of(name, trained) or (reason == "frozen" and _child_of(trained, name))
                or any(name == part or _child_of(name, part) for part in self.parts.get(trained, ()))
                for name in names)  # (under either name of a module held by another: `model.encoder` is `encoder`)
            if not related:
                continue
            facts = _lookup(state, key)
            old = self.a.watched.get(node)
            if old is not None:
                facts = facts | old.facts
            self.a.watched[node] = Watch(node, key, reason, facts, site, trained, self.scope)

    def _bind_args(self, call: cst.Call, summary: Summary) -> list[tuple[str, cst.BaseExpression]]:
        bound = self._bound_args(call, summary)
        if not self.part_names:
            return bound
        named = []
        for param, arg in bound:  # `getattr(model, name)` in a loop over literal names: `model.conv1` in turn
            owner = _getattr_of(arg, *self.part_names) if isinstance(arg, cst.Call) else None
            if owner is not None:
                variable = arg.args[1].value.value  # type: ignore[attr-defined]
                arg = cst.Attribute(value=arg.args[0].value, attr=cst.Name(self.part_names[variable]))
            named.append((param, arg))
        return named

    def _bound_args(self, call: cst.Call, summary: Summary) -> list[tuple[str, cst.BaseExpression]]:
        params = list(summary.params)
        bound = []
        func = call.func
        if isinstance(func, cst.Attribute) and key_of(func.value) is not None and params and params[0] == "self":
            bound.append(("self", func.value))  # `self.method()`, `model.method()`, `self.ema.update()`
            params = params[1:]
        index = 0
        for arg in call.args:
            if arg.star:
                break
            if arg.keyword is not None:
                if arg.keyword.value in params:
                    bound.append((arg.keyword.value, arg.value))
                continue
            if index < len(params):
                bound.append((params[index], arg.value))
            index += 1
        if summary.closure is not None:
            if self.scope is summary.closure:  # called from the function that holds its variables
                bound += [(name, cst.Name(name)) for name in summary.globals]
        elif summary.globals and summary.path == self.model.path:
            scope = self.scope
            for name in summary.globals:
                if isinstance(self.node, cst.Module) or not (
                        name in scope.params or name in scope.bindings or name in scope.opaque):
                    bound.append((name, cst.Name(name)))  # the caller's variable is the callee's global
        return bound

    def _apply_summary(self, call: cst.Call, target: tuple[ModeAnalysis, cst.FunctionDef], state: State) -> None:
        analysis, func = target
        summary = analysis.summary(func)
        bound = self._forget_unbound(call, summary, state)
        if summary is None:
            return
        for param, arg in bound:
            key = key_of(arg)
            if key is None:
                continue
            if analysis is not self.a and any(p == param for _, p in summary.entry_uses) and _tracked(state, key):
                # (a function of this file is followed through its callers instead: ``resolved``)
                used = analysis.evaluations(summary).get(param)
                if used is not None:
                    old = self.a.helper_evals.get((call, param))
                    site = _merge(old.site if old else None, key, _lookup(state, key), call, self)
                    self.a.helper_evals[(call, param)] = HelperEval(site, analysis, summary, *used)
            if analysis is self.a and param != "self" and self.model.functions.get(summary.name) is func:
                self.a.call_args.setdefault(f"{summary.name}.{param}", []).append((key, dict(state), self.node))
            if analysis is self.a and param == "self" and key == "self":
                self.a.method_calls.setdefault(func, []).append((dict(state), self.node))
            elif analysis is self.a and param == "self" and "." not in key:
                # `trainer.predict(loader)` on an instance of a class of this file: what it holds, as `self.*`
                self.a.method_calls.setdefault(func, []).append(
                    ({"self" + k[len(key):]: facts for k, facts in state.items() if k == key or _child_of(k, key)}, None))
            for node, frozen in summary.freezes if analysis is self.a else ():  # a helper of this file freezes it
                root, _, rest = frozen.partition(".")
                target_key = f"{key}.{rest}" if rest else key
                if not self._tests_hold(node, summary, bound, target):
                    continue  # `if feature_extract: freeze(model)`, called with False (or a value not known)
                if root == param and _tracked(state, target_key):
                    self.watch[node] = (target_key, "frozen")
                    self.helper_frozen.append((node, target_key))  # (a builder that returns it gives it frozen)
            for evaled in summary.bn_evals:  # a helper that puts BatchNorm layers in eval: watch them like `.eval()`
                root, _, rest = evaled.partition(".")
                target_key = f"{key}.{rest}" if rest else key
                if root == param and _tracked(state, target_key):
                    self.watch[call] = (target_key, "eval")
        self._watch_helper_steps(call, bound, summary, analysis, state)
        effects = summary.effects
        if call in self.entering and summary.generator:
            # `with helper(model):` of a generator context manager: the body runs at its `yield`
            effects = summary.at_yield
            self.leaving.append((call, target, dict(state)))
        self._apply_effects(call, bound, effects, summary, analysis, state)
        self._items_set(bound, summary, state)

    def _forget_unbound(self, call: cst.Call, summary: Summary | None, state: State) -> list[tuple[str, cst.BaseExpression]]:
        """The arguments ``summary``'s parameters take; the followed modules passed otherwise (to ``*nets`` /
        ``**kwargs``, past a ``*args`` of the call, or to a function not worked out) become unknown."""
        bound = self._bind_args(call, summary) if summary is not None else []
        given = {id(arg) for _, arg in bound}
        for arg in call.args:
            key = key_of(arg.value)
            if (summary is None or id(arg.value) not in given) and key is not None and _tracked(state, key):
                _set(state, key, _UNKNOWN)
        return bound

    def _watch_helper_steps(self, call: cst.Call, bound, summary: Summary, analysis: ModeAnalysis, state: State) -> None:
        """A helper that trains a module it is given (``train_one_epoch(model, ...)``, which may call
        ``model.train()`` first): the watched modules inside it, in the modes they have at its step."""
        for param, arg in bound:
            facts, key = summary.steps.get(param), key_of(arg)
            if facts is None or key is None or not _tracked(state, key):
                continue
            modes = {f.mode for f in facts}
            during = dict(state)
            if modes in ({TRAIN}, {EVAL}):
                _set(during, key, self._translate(facts, _lookup(state, key), call, summary, analysis))
            elif modes != {ENTRY}:
                continue
            self._items_set(bound, summary, during)
            self._watch_training(call, key, during)

    def _items_set(self, bound, summary: Summary, state: State) -> None:
        """``train_epoch(model, frozen=(model.frontend,))`` where the helper sets a mode on each item of
        ``frozen``: those modules' modes are not followed (unknown) from there on. Their parent keeps its
        own facts, which its other parts (``model.encoder``) still follow."""
        for param, arg in bound:
            if param in summary.element_modes and isinstance(arg, (cst.Tuple, cst.List)):
                for element in arg.elements:
                    key = key_of(element.value)
                    if key is not None and _tracked(state, key):
                        for other in [k for k in state if _child_of(k, key)]:
                            state[other] = _UNKNOWN
                        state[key] = _UNKNOWN

    def _apply_effects(self, call: cst.Call, bound, effects: dict[str, frozenset], summary: Summary,
                       analysis: ModeAnalysis, state: State, before: State | None = None) -> None:
        """Set what ``call`` leaves its arguments at; ``before``: the state its ``entry`` stands for."""
        before = dict(state) if before is None else before
        for param, arg in bound:
            key = key_of(arg)
            if key is None:
                continue
            for effect_key, facts in sorted(effects.items(), key=lambda kv: kv[0].count(".")):
                root, _, rest = effect_key.partition(".")
                if root != param or (_MIXED in facts and all(f.mode == ENTRY or f == _MIXED for f in facts)):
                    continue  # (mixed because some parts changed: their own effects say how)
                target_key = f"{key}.{rest}" if rest else key
                if not _tracked(state, target_key) and not _tracked(state, key):
                    if param != "self":
                        continue
                caller_facts = _lookup(before, target_key)
                translated = self._translate(facts, caller_facts, call, summary, analysis)
                self._set_mode(state, target_key, translated)
                if "." in target_key and translated and {f.mode for f in translated} == {EVAL}:
                    self.watch[call] = (target_key, "eval")  # `freeze_bn(model)` puts `model.backbone` in eval

    def _translate(self, facts: frozenset, caller: frozenset, call: cst.Call, summary: Summary, analysis) -> frozenset:
        out: set[Fact] = set()
        where_file = "" if analysis is self.a else f" (in {_short(summary.path)})"
        for fact in facts:
            if fact.mode == ENTRY:
                out |= caller
            elif fact.why == "trained":  # trained there: the caller's model, in training mode if it was the entry one
                out |= after_training_step(caller, call, summary.name)
            elif fact.mode == EVAL:
                out.add(Fact(EVAL, call, "helper", f"`{summary.name}()` at line {{line}} calls `.eval()`{where_file}"))
            elif fact.mode == TRAIN:
                out.add(Fact(TRAIN, call, "helper", f"`{summary.name}()` at line {{line}} calls `.train()`{where_file}",
                             fact.kind))
            else:
                out.add(Fact(UNKNOWN_MODE))
        return frozenset(out)


def eval_named(name: str) -> bool:
    """``validate``, ``run_eval``, ``test_epoch``: a function name that says evaluation (``EVAL_NAME``)."""
    words = name.lower().strip("_").split("_")
    if words[0] in ("is", "has"):
        return False  # a predicate: `is_valid_image`
    if set(words) & _EVAL_WORDS:
        return True
    if words[0] in ("run", "do"):
        words = words[1:]
    return bool(words) and words[0] in _WEAK_EVAL_WORDS and "_".join(words[1:]) in _LOOP_SUFFIXES


_CONTAINERS = frozenset({"torch.nn.Sequential", "torch.nn.ModuleList"}) | DETECTORS  # (those hold their backbone)
_SETS_MODE = re.compile(r"\.eval\(\s*\)|\.train\(\s*(?:mode\s*=\s*)?False\s*\)")
_INDEXED_MODE_CHANGE = re.compile(r"\]\s*(?:\.\w+\s*)*\.(?:eval|train|apply|requires_grad_?)\b")  # `model[0].eval()`
_COMPARISONS = {"Equal": True, "Is": True, "NotEqual": False, "IsNot": False}


def _condition(test: cst.BaseExpression) -> tuple[str, bool] | None:
    """A test as (key, outcome that makes the key true) when it is a plain flag (``train``,
    ``not is_val``) or a name compared to a literal (``phase == 'train'``, ``mode != "val"``)."""
    outcome = True
    while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, outcome = test.expression, not outcome
    if isinstance(test, cst.Name):
        return (None if test.value in ("True", "False", "None") else (test.value, outcome))
    if not (isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name) and len(test.comparisons) == 1):
        return None
    target = test.comparisons[0]
    equal = _COMPARISONS.get(type(target.operator).__name__)
    literal = _literal(target.comparator)
    if equal is None or literal is _NOT_LITERAL:
        return None
    return f"{test.left.value}=={literal!r}", outcome == equal


_NOT_LITERAL = object()


def _literal(node: cst.BaseExpression | None) -> object:
    """The value of a string, integer, True/False/None literal (``_NOT_LITERAL`` otherwise)."""
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:
            return _NOT_LITERAL
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    return _NOT_LITERAL


def _condition_name(key: str) -> str:
    return key.split("==", 1)[0]


def _container_elements(call: cst.Call) -> list[cst.BaseExpression]:
    """The modules ``nn.Sequential(a, b)`` / ``nn.ModuleList([a, b])`` is built from, as written."""
    elements = [arg.value for arg in call.args if not arg.keyword and not arg.star]
    if len(elements) == 1 and isinstance(elements[0], (cst.List, cst.Tuple)):
        elements = [element.value for element in elements[0].elements]
    return elements


def _unwrap_passthrough(value: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """``Net().to(device).half()`` -> ``Net()``: calls that return the model itself."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _PASSTHROUGH:
        value = value.func.value
    return value


def _key_expression(key: str) -> cst.BaseExpression:
    """``self.ema`` as an expression (the inverse of ``key_of``)."""
    names = key.split(".")
    expr: cst.BaseExpression = cst.Name(names[0])
    for name in names[1:]:
        expr = cst.Attribute(expr, cst.Name(name))
    return expr


def _in_function(scope: "Scope | None") -> bool:
    while scope is not None:
        if isinstance(scope.node, cst.FunctionDef):
            return True
        scope = scope.parent
    return False


def _called_name(func: cst.BaseExpression) -> str:
    """``f`` for ``f(...)`` and ``x.f(...)``; "" otherwise."""
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


# method calls that make a file worth the flow analysis
_CANDIDATE_METHODS = frozenset({"eval", "train", "requires_grad_", "backward", "manual_backward", "step", "load_state_dict"})
_PREDICTIONS = frozenset({"argmax", "topk"})  # (and ``torch.max(out, 1)``): an output read as predictions

# export function -> index of the positional argument holding the model
_EXPORTS = {
    "torch.onnx.export": 0,
    "torch.jit.trace": 0,
    "torch.jit.trace_module": 0,
    "torch.export.export": 0,
    "torch.ao.quantization.fuse_modules": 0,
    "torch.quantization.fuse_modules": 0,
    "torch.ao.quantization.convert": 0,
    "torch.quantization.convert": 0,
    "torch.nn.utils.fusion.fuse_conv_bn_eval": 1,
    "torch.nn.utils.fuse_conv_bn_eval": 1,
    "torch.fx.experimental.optimization.fuse": 0,
}
EXPORTS = _EXPORTS
def _alternatives(words: Iterable[str]) -> str:
    return "(?i:" + "|".join(sorted(words, key=lambda w: (-len(w), w))) + ")"


# The identifiers ``eval_named`` accepts, as a regular expression (for the pre-filter's triggers).
EVAL_NAME = (
    rf"(?:_*(?!(?i:is|has)_)(?:\w*_)?{_alternatives(_EVAL_WORDS)}(?:_\w*)?"
    rf"|_*(?:(?i:run|do)_)?{_alternatives(_WEAK_EVAL_WORDS)}(?:_{_alternatives(_LOOP_SUFFIXES - {''})})?_*)(?!\w)"
)
_BATCHNORM_TEST = re.compile(r"BatchNorm|_NormBase")


def _is_module_call(func: cst.BaseExpression, key: str, state: State) -> bool:
    """``model(x)`` / ``self.model(x)`` / a tracked ``model.backbone(x)``; not ``model.method()``."""
    if key in state:
        return True
    if isinstance(func, cst.Attribute):
        if func.attr.value in _SAFE_METHODS or func.attr.value in ("eval", "train", "forward", "apply"):
            return False
        return isinstance(func.value, cst.Name) and func.value.value == "self" and "self" in state
    return False


def _hub_builds_train(call: cst.Call) -> bool:
    """``torch.hub.load(repo, entry)`` of a literal repo whose entry points build models as constructors
    do, in training mode (torchvision's, most research repos'); not those known to return eval-mode
    wrappers (ultralytics' AutoShape)."""
    first = call.args[0].value if call.args else None
    return isinstance(first, cst.SimpleString) and not str(first.evaluated_value).startswith(_HUB_EVAL_REPOS)


_HUB_EVAL_REPOS = ("ultralytics/",)


def _torchvision_hub(call: cst.Call) -> bool:
    """``torch.hub.load("pytorch/vision", ...)``: torchvision's builders, in training mode."""
    first = call.args[0].value if call.args else None
    return isinstance(first, cst.SimpleString) and first.evaluated_value.startswith("pytorch/vision")


def _tracked(state: State, key: str) -> bool:
    return key in state or any(_child_of(key, k) for k in state)


def _merge(old: Site | None, key: str, facts: frozenset, node: cst.CSTNode, flow: _Flow) -> Site:
    if old is None:
        return Site(node, key, facts, flow.scope)
    return Site(node, key, old.facts | facts, flow.scope)


def _short(path: str) -> str:
    import os

    return os.path.basename(path)
