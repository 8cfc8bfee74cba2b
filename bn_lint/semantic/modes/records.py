"""What the mode flow records for the rules: sites, helper evaluations, watches, function summaries."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

import libcst as cst

from .state import Fact, State, TRAIN, _child_of
from .trained import loss_named

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope
    from .analysis import ModeAnalysis
    from .flow import _Flow


def describe(analysis: "ModeAnalysis", facts: Iterable[Fact], mode: str = TRAIN) -> str:
    """``built at line 12 (...)``; ``.train()`` at line 40`` for the facts of one mode."""
    facts = tuple(facts)
    found = sorted({(analysis.line(f.node), f.where) for f in facts if f.mode == mode and f.where and f.node})
    text = "; ".join(where.format(line=line) for line, where in found)
    loads = sorted({analysis.line(f.node) for f in facts if f.why == "loaded" and f.mode != mode and f.node})
    if text and loads:  # (the other path loads a model in its place: the finding is on the path that does not)
        text += f" (on the path that skips the load at line{'s' if len(loads) > 1 else ''} {', '.join(map(str, loads))})"
    return text


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
    """A call of another file's function that runs a module given to it for evaluation (or exports it), in the
    mode it has."""

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
    # for a freeze of another file watched at the call here (``node``): the freezing statement and its file
    origin: "tuple[cst.CSTNode, FileModel] | None" = None


@dataclass
class Summary:
    """What a function leaves its parameters' (and ``self``'s) modes at, and which it trains."""

    effects: dict[str, frozenset] = field(default_factory=dict)  # key rooted in a param -> exit facts
    trains: set[str] = field(default_factory=set)  # params run in a training step in their entry mode
    trained_keys: set[str] = field(default_factory=set)  # the keys under them so run (`self.img_enc`)
    entry_uses: list[tuple[cst.Call, str]] = field(default_factory=list)  # params called in their entry mode
    entry_exports: list[tuple[cst.Call, str]] = field(default_factory=list)  # params exported in their entry mode
    # params run for evaluation in their entry mode: param -> (the call that runs it, why it is an evaluation);
    # worked out from ``entry_uses`` on first need (``ModeAnalysis.evaluations``)
    evaluates: dict[str, tuple[cst.CSTNode, str]] | None = None
    # params whose evaluation is another file's, through a helper this function passes them to: param -> the
    # analysis of the file that holds the run in ``evaluates`` (``evaluate(model)`` -> ``forward(model)``)
    evaluated_in: dict[str, "ModeAnalysis"] = field(default_factory=dict)
    bn_evals: set[str] = field(default_factory=set)  # keys rooted in a param whose BatchNorm layers it puts in eval
    element_modes: set[str] = field(default_factory=set)  # params whose items it sets a mode on (`for m in frozen: m.eval()`)
    # (node, param, "eval" / "train"): the mode it sets on each item of a param there (tests in ``freeze_tests``)
    element_sets: list[tuple[cst.CSTNode, str, str]] = field(default_factory=list)
    generator: bool = False
    steps: dict[str, frozenset] = field(default_factory=dict)  # params run in a training step -> modes there
    # parts of params run in a training step -> modes there (`self.model` of `Trainer.fit`, set to train first)
    part_steps: dict[str, frozenset] = field(default_factory=dict)
    # params run without gradients (under `no_grad`, detached) in a training step of another module -> modes there
    fixed_runs: dict[str, frozenset] = field(default_factory=dict)
    freezes: list[tuple[cst.CSTNode, str]] = field(default_factory=list)  # (node, key rooted in a param) frozen
    # the same, frozen by the helpers it calls (a method's `freeze(self.backbone)`; in `freezes` for `__init__`)
    helper_freezes: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    # (node, key under the returned model: "" for all of it) of BatchNorm-bearing modules it freezes and gives
    # back (`backbone.requires_grad_(False); return nn.Sequential(backbone, head)`)
    returned_freezes: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    # freezing (or item mode-setting) node -> the tests on parameters it runs under: a flag and the truth it needs
    # (`if feature_extract:` -> ("feature_extract", True)), or a string compared (`if mode == "eval":` ->
    # ("mode", ("==", "eval", True)))
    freeze_tests: dict[cst.CSTNode, list[tuple[str, Any]]] = field(default_factory=dict)
    # the mode of the model it returns, when every `return` gives one back (``returns``; worked out on first use:
    # a function that gives back another file's builder call parses that file only if a caller asks)
    returns_when_asked: Any = None
    # index -> the mode of the model at that place of the tuple every `return` gives (`return model, tf`)
    element_returns: dict[int, frozenset] = field(default_factory=dict)
    # `['model']` -> the modes of the model every `return` gives back under that key of a dict (``result['model'] =
    # model; return result``, ``return {'model': model}``), where each return names one
    keyed_returns: dict[str, frozenset] = field(default_factory=dict)
    element_freezes: dict[int, list[tuple[cst.CSTNode, str]]] = field(default_factory=dict)  # as returned_freezes
    # module-level variables it reads (itself or through this file's functions it calls): implicit
    # parameters, passed by every caller that sees the same variable
    globals: list[str] = field(default_factory=list)
    at_yield: dict[str, frozenset] = field(default_factory=dict)  # like ``effects``, at its `yield`
    # a callable parameter (or `self.hooks`, whose items it calls) -> the modes of its parameters' modules where
    # it is called, and those calls; a parameter it keeps in a list of callables (`self.hooks.append(fn)`) -> the list
    callback_states: dict[str, dict[str, frozenset]] = field(default_factory=dict)
    callback_calls: dict[str, list[cst.Call]] = field(default_factory=dict)
    stored_callables: dict[str, str] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)
    name: str = ""
    path: str = ""
    # for a function nested in another: the enclosing function's scope, whose variables ``globals`` are
    # (closure variables: `def run_eval(): model.eval() ...` inside `main`, which calls it)
    closure: "Scope | None" = None

    @property
    def returns(self) -> frozenset | None:
        if callable(self.returns_when_asked):
            work_out, self.returns_when_asked = self.returns_when_asked, None  # (a recursive ask: not known yet)
            self.returns_when_asked = work_out()
        return self.returns_when_asked

    @returns.setter
    def returns(self, facts: frozenset | None) -> None:
        self.returns_when_asked = facts


def _merge(old: Site | None, key: str, facts: frozenset, node: cst.CSTNode, flow: _Flow) -> Site:
    """The use at ``node`` with one more path's ``facts`` for ``key``. A call that runs two modules (a helper
    method running ``self.model`` and then ``self.loss_criterion``) stays the use of the first, unless that
    one is a loss function or a part of the other (``model.validation_step``, then ``model``)."""
    if old is None:
        return Site(node, key, facts, flow.scope)
    if old.key == key:
        return Site(node, key, old.facts | facts, flow.scope)
    if _child_of(old.key, key) or (loss_named(old.key) and not _child_of(key, old.key)):
        return Site(node, key, facts, flow.scope)
    return old


def record_passed(flow, where: str, call: cst.Call, key: str, state: State) -> None:
    """What ``call`` passes the parameter filed under ``where`` (``train.model``): at every pass, on the first,
    and with the call itself (the callers the entry facts resolve through, ``entry``)."""
    passed = (key, dict(state), flow.node)
    flow.a.call_args.setdefault(where, []).append(passed)
    flow.a.first_call_args.setdefault(where, {}).setdefault(call, passed)
    flow.a.call_sites.setdefault(where, []).append((call, passed))
