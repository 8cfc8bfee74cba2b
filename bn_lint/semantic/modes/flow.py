"""One walk of one function body (or the module's), ending in its :class:`Summary`."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import libcst as cst

from bn_lint.semantic.modes.framework_hooks import earlier_hooks, given_may_hold_batchnorm, hook_of
from bn_lint.semantic.nn_modules.bearing import ModelKind
from bn_lint.semantic.nn_modules.unregistered import unregistered_attributes
from .assignments import FlowAssignments
from .callbacks import FlowCallbacks
from .calls import FlowCalls
from .applied_freezes import FlowAppliedFreezes
from .freezing import FlowFreezes
from .given_callables import FlowGivenCallables
from .helper_calls import FlowHelperCalls
from .loops import FlowLoops
from .records import Summary
from .dict_entries import keyed_returns
from .entry import implicit_globals
from .keys import key_root
from .state import ENTRY, Fact, State, TRAIN, _ENTRY, _join, _set
from .statements import FlowStatements
from .uses import FlowUses
from .values import FlowValues

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import Scope
    from .analysis import ModeAnalysis


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


class _Flow:
    """One walk of one function body.

    It holds the walk's state and builds the summary; its parts visit the code, one concern per module, and reach
    the state and each other through it (``self.flow.statements.block``, ``self.flow.calls.call``).
    """

    def __init__(self, analysis: ModeAnalysis, node: cst.CSTNode, scope: "Scope") -> None:
        self.a = analysis
        self.model = analysis.model
        self.statements = FlowStatements(self)
        self.loops = FlowLoops(self)
        self.assignments = FlowAssignments(self)
        self.values = FlowValues(self)
        self.calls = FlowCalls(self)
        self.uses = FlowUses(self)
        self.helper_calls = FlowHelperCalls(self)
        self.callbacks = FlowCallbacks(self)
        self.given_callables = FlowGivenCallables(self)
        self.freezes = FlowFreezes(self)
        self.applied_freezes = FlowAppliedFreezes(self)
        self.node = node
        self.scope = scope
        self.exits: list[State] = []
        self.finally_bodies: list[Sequence[cst.BaseStatement]] = []  # of the `try`s around: a `return` runs them
        self.breaks: list[list[State]] = []
        self.continues: list[list[State]] = []
        self.flags: dict[str, tuple[str, frozenset]] = {}  # `was = model.training` -> (key, facts then)
        self.flag_words: dict[str, str] = {}  # `mode = "train" if model.training else "eval"` -> "train"
        self.params: list[str] = []
        self.declared = 0  # how many of ``params`` the def declares (the rest: module variables it reads)
        self.trained: set[str] = set()
        self.trained_keys: set[str] = set()
        self.entry_uses: list[tuple[cst.Call, str]] = []  # params called while still in their entry mode
        self.entry_exports: list[tuple[cst.Call, str]] = []  # params exported while still in their entry mode
        self.bn_evals: set[str] = set()  # modules whose BatchNorm layers a modules() loop puts in eval
        self.element_vars: dict[str, str] = {}  # `m` in `for m in frozen:` over a parameter -> the parameter
        self.element_modes: set[str] = set()
        self.element_sets: list[tuple[cst.CSTNode, str, str]] = []  # (`m.eval()`, the param `m` is an item of, "eval")
        self.frozen: list[tuple[cst.CSTNode, str]] = []  # (freezing node, module key)
        self.stepped: dict[str, frozenset] = {}  # params run in a training step -> their modes there
        self.part_stepped: dict[str, frozenset] = {}  # parts of params so run (`self.model`) -> their modes there
        self.fixed_runs: dict[str, frozenset] = {}  # params run without gradients in a training step -> modes
        self.returned: list[tuple | None] = []  # (value, state) each `return` gives back (None: nothing)
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
        self.watched_at: dict[cst.CSTNode, cst.Call] = {}  # a helper's freeze watched here -> the call that made it
        self.param_vars: dict[str, tuple[str, cst.CSTNode]] = {}  # `p` in `for p in m.parameters()` -> (m, loop)
        self.module_vars: dict[str, str] = {}  # `m` in `for m in model.modules()` -> model
        self.frozen_loops: set[tuple[cst.For, str]] = set()  # modules() loops that freeze (parts of) a module
        self.part_names: dict[str, str] = {}  # `name` -> "conv1" while `for name in ["conv1", ...]` is unrolled
        self.loop_modules: dict[str, list[str]] = {}  # `enc` in `for enc in (model.a, model.b)` -> those
        self.unknown_items: dict[str, cst.For] = {}  # `m` in `for m in nets.values()` over a dict not followed
        self.part_vars: dict[str, str] = {}  # `block` in `for block in model.features[:n]` -> model.features
        self.looked_up: set[str] = set()  # part variables bound by `getattr(self, 'net' + name)`
        # conditions assumed on this path (`phase == 'train'` -> True), set where a block tests one twice
        self.assume: dict[str, bool] = {}
        # `model = nn.Sequential(encoder, head)` -> {encoder, head}: model.train() sets their modes too
        self.parts: dict[str, set[str]] = {}
        # `trainer = Trainer(net)` whose class stores `net` as `self.model`: ("trainer.model", "net"), one
        # module under two names; a mode change seen under one is seen under the other
        self.aliases: list[tuple[str, str]] = []
        self._optimized_names: set[str] | None = None
        # a callable parameter (or `self.hooks`, for the items of a list of them) -> the modes where it is called
        self.callback_states: dict[str, State] = {}
        self.callback_calls: dict[str, list[cst.Call]] = {}
        self.callable_items: dict[str, str] = {}  # `fn` in `for fn in self.hooks:` -> "self.hooks"
        self.stored_callables: dict[str, str] = {}  # `fn` in `self.hooks.append(fn)` -> "self.hooks"
        # (in the caller) `hooks.after_epoch` -> the callables registered there: `hooks.add(partial(f, model))`
        self.hook_lists: dict[str, list[cst.BaseExpression]] = {}
        self.framework_entry: State = {}  # a framework hook's module parameter -> the mode it is run in  # names whose parameters go to a torch.optim optimizer

    def run(self) -> Summary:
        state: State = {}
        if isinstance(self.node, cst.FunctionDef):
            params = self.node.params
            for param in list(params.posonly_params) + list(params.params) + list(params.kwonly_params):
                self.params.append(param.name.value)
                if not (_scalar(param) or _given_literals(self.model, self.node, param)):
                    state[param.name.value] = _ENTRY  # (a module the caller may give, in the mode it has there)
            real = self.declared = len(self.params)
            for name in implicit_globals(self.a, self.node):
                self.params.append(name)
                state[name] = _ENTRY
            own = self.node.name.value  # (`infer.model`: an attribute of the function object, read like a global)
            if self.model.functions.get(own) is self.node and f"{own}." in self.model.code(self.node.body):
                state[own] = _ENTRY
            self._framework_entry(state)
            body = self.node.body
        else:
            real = 0
            body = self.node
        entry = dict(state)
        end = self.statements.block(body.body, state)
        if end is not None:
            self.exits.append(end)
        if isinstance(self.node, cst.FunctionDef) and (found := hook_of(self.model, self.node)) is not None \
                and found[0].repeats:
            self._repeat(body, entry, found[1])
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
            root = key_root(key)
            facts = frozenset(f for f in facts if not f.local) or _ENTRY  # (another object the name was rebound to)
            if root in self.params and facts != _ENTRY and facts != self.framework_entry.get(key):
                summary.effects[key] = facts
        summary.trains = self.trained
        summary.trained_keys = {key for key in self.trained_keys if key_root(key) in self.params}
        summary.generator = bool(self.yields)
        summary.steps = self.stepped
        summary.part_steps = self.part_stepped
        summary.fixed_runs = self.fixed_runs
        # (its helpers' too: `freeze(self.bn1)` in `__init__` builds the instance frozen, `setup(enc)` calling
        # `enc.freeze()` gives `enc` back frozen, any number of calls deep; but a function that trains after its
        # helper froze is judged in its own flow, reported there, not again at each caller)
        constructor = isinstance(self.node, cst.FunctionDef) and self.node.name.value == "__init__"
        passed_on = self.helper_frozen if constructor or not (self.trained or self.stepped) else []
        summary.freezes = [(node, key) for node, key in [*self.frozen, *passed_on] if key_root(key) in self.params]
        summary.helper_freezes = [(node, key) for node, key in self.helper_frozen if key_root(key) in self.params]
        summary.returned_freezes = self.returned_freezes
        for node, _key in [*self.frozen, *self.helper_frozen, *self.returned_freezes, *(f for fs in self.element_freezes.values() for f in fs),
                           *((node, param) for node, param, _mode in self.element_sets)]:
            inside = any(a is self.node for a in self.model.ancestors(node))
            # (its own tests, and those a callee's freeze or a parameter's value carries: `requires_grad = flag`)
            tests = (self.freezes.param_tests(node) if inside else []) + self.carried_tests.get(node, [])
            if tests != []:
                summary.freeze_tests[node] = tests
        if self.returned and all(value is not None for value in self.returned):
            summary.returns_when_asked = lambda returned=tuple(self.returned): self._returned_facts(returned)
        summary.element_returns = _element_returns(self.returned_elements)
        summary.keyed_returns = keyed_returns(self)
        summary.element_freezes = self.element_freezes
        at_yield: State | None = None
        for one in self.yields:
            at_yield = one if at_yield is None else _join(at_yield, one)
        for key, facts in (at_yield or {}).items():
            if key_root(key) in self.params and facts != _ENTRY:
                summary.at_yield[key] = facts
        summary.bn_evals = {key for key in self.bn_evals if key_root(key) in self.params}
        summary.element_modes = self.element_modes
        summary.element_sets = self.element_sets
        summary.entry_uses = self.entry_uses
        summary.entry_exports = self.entry_exports
        summary.callback_states = {name: {k: v for k, v in st.items() if key_root(k) in self.params}
                                   for name, st in self.callback_states.items()}
        summary.callback_calls = self.callback_calls
        summary.stored_callables = self.stored_callables
        return summary

    def _repeat(self, body: cst.BaseSuite, entry: State, param: str) -> None:
        """A hook the framework runs once per batch (``training_step``): the modes one run leaves the module's
        parts in are the modes the next run starts in, a loop's back edge (``self.model.eval()`` at its end, never
        undone: the next batch's training forward runs in eval mode)."""
        for _ in range(3):
            back: State | None = None
            for one in self.exits:
                back = one if back is None else _join(back, one)
            left = {key: facts for key, facts in (back or {}).items() if key_root(key) == param}
            head = _join(entry, left)
            if head == entry:
                return
            entry = head
            self.exits = []
            end = self.statements.block(body.body, dict(head))
            if end is not None:
                self.exits.append(end)

    def _framework_entry(self, state: State) -> None:
        """A framework's hook (Lightning's ``on_train_epoch_end(self, trainer, pl_module)``): the module it is
        given starts in the mode the framework runs the hook in (``framework_hooks``), not the callers'."""
        found = hook_of(self.model, self.node)
        if found is None:
            return
        hook, param = found
        kind = None if hook.param == "self" else \
            (ModelKind.MAYBE if given_may_hold_batchnorm(self.model, hook) else ModelKind.NO)
        mode = "training" if hook.mode == TRAIN else "eval"
        where = f"{hook.framework} runs `{hook.method}()` (line {{line}}) in {mode} mode"
        given = frozenset({Fact(hook.mode, self.node, "framework", where, kind)})
        state[param] = self.framework_entry[param] = given
        info = self.model.enclosing_class(self.scope.parent) if hook.param == "self" and self.scope.parent else None
        for attribute in unregistered_attributes(self.model, info) if info is not None else ():
            # (a plain list or dict of models is no registered part: the framework's mode does not reach it)
            state[f"self.{attribute}"] = self.framework_entry[f"self.{attribute}"] = _ENTRY
        for method in earlier_hooks(self.model, self.node, hook):  # (`on_train_epoch_start`: `self.model.eval()`)
            summary = self.a.summary(method)
            for key, facts in sorted((summary.effects if summary is not None else {}).items()):
                if key_root(key) == param:
                    _set(state, key, frozenset(f for f in facts if f.mode != ENTRY) | (given if _ENTRY <= facts else set()))
                    self.framework_entry[key] = state[key]

    def _returned_facts(self, returned: tuple) -> frozenset | None:
        """The modes of the models the ``return``s give back, each with the state it had there; None
        when one of them gives back something not known to be a model. A ``return None`` (a builder's answer
        to a kind it does not know) gives back no model: the others say what its callers get."""
        returned = tuple(r for r in returned if not (isinstance(r[0], cst.Name) and r[0].value == "None")) or returned
        facts = [self.values.value_facts(value, state) for value, state in returned]
        return frozenset().union(*facts) if all(f is not None for f in facts) else None


_SCALARS = frozenset({"bool", "int", "float", "str", "bytes"})


def _scalar(param: cst.Param) -> bool:
    """A parameter that holds no module: a number, string or boolean by its default or its annotation
    (``pretrained: bool = False``, ``variant="resnet18"``); its calls are not followed as a model's."""
    default = param.default
    if isinstance(default, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)) or (
            isinstance(default, cst.Name) and default.value in ("True", "False")):
        return True
    annotation = param.annotation.annotation if param.annotation is not None else None
    return isinstance(annotation, cst.Name) and annotation.value in _SCALARS


def _given_literals(model, func: cst.FunctionDef, param: cst.Param) -> bool:
    """A module-private function of this file (``_create_resnet``) that every call here gives a literal
    for ``param`` (``_create_resnet('resnet18', ...)``): a name or number, never a module."""
    name = func.name.value
    if not name.startswith("_") or name.startswith("__") or model.functions.get(name) is not func:
        return False
    from bn_lint.semantic.evaluators.call_binding import callers

    calls = callers(model, func) or ()
    for _site, bound in calls:  # (a `**kwargs` expansion gives keywords only: what the call writes out is bound)
        arg = bound.get(param.name.value)
        if arg is None or not isinstance(arg, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString,
                                               cst.FormattedString)):
            return False
    return bool(calls)


