"""ModeAnalysis: mode flow for every function of one file; built lazily, shared by BN1xx rules."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from .callees import Callees
from .candidates import candidate_functions
from .conditions import _condition
from .entry import EntryResolution
from .evaluations import EvaluationDetection
from .flow import _Flow
from .given import GivenArguments
from .keys import key_of, key_root
from .kinds import ModelKinds
from .output_reads import OutputReads
from .records import HelperEval, Site, Summary, Watch
from .state import _ENTRY, State, _lookup
from .trained import loss_named
from .training_steps import TrainingSteps

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


_CUTS = [0]  # how many times a summary was asked for while it was being worked out (``ModeAnalysis.summary``)


def _inert(summary: Summary) -> dict | bool:
    """For a function that gives back no model: its parameters, and those whose modules it does something
    to (``touched``: sets a mode, trains, runs, freezes, rebinds); False for one that may give one back."""
    if summary.generator or summary.returns is not None or summary.returned_freezes or summary.element_returns \
            or summary.element_freezes or summary.at_yield:
        return False
    keys = [*summary.effects, *summary.trains, *(param for _, param in summary.entry_uses + summary.entry_exports),
            *summary.bn_evals,
            *summary.element_modes, *summary.steps, *(key for _, key in summary.freezes)]
    return {"params": list(summary.params), "touched": sorted({key_root(key) for key in keys})}






class ModeAnalysis:
    """Mode flow for every function of one file; built lazily, shared by BN1xx rules.

    It holds the file's facts and the summaries' cache; the queries are its parts, one concern per module, each
    reaching the facts and the others through it (``analysis.entry.resolved(...)``, ``analysis.kinds.kind(...)``):
    ``entry``, ``kinds``, ``steps`` (training steps), ``evaluation`` (why a call evaluates), ``output_reads``,
    ``callees``, ``given``.
    """

    def __init__(self, model: "FileModel") -> None:
        self.model = model
        self.entry = EntryResolution(self)
        self.kinds = ModelKinds(self)
        self.steps = TrainingSteps(self)
        self.evaluation = EvaluationDetection(self)
        self.output_reads = OutputReads(self)
        self.callees = Callees(self)
        self.given = GivenArguments(self)
        self.uses: dict[cst.CSTNode, Site] = {}  # model(x) / model.forward(x)
        self.no_grad_runs: set[cst.CSTNode] = set()  # `net.predict(s)` of a method decorated `@torch.no_grad()`
        # the first time the flow reaches each use of each module: in the first iteration of every loop around it
        self.first_uses: dict[tuple[cst.CSTNode, str], Site] = {}
        # uses on the paths where `torch.set_grad_enabled(cond)` turns gradients off and nothing trains
        # (`phase == 'val'` in a `for phase in ('train', 'val')` loop) -> (their site, why)
        self.path_evals: dict[cst.CSTNode, tuple[Site, str]] = {}
        self.path_assumed: dict[cst.CSTNode, dict] = {}  # a path eval's call -> the tests its path assumes
        # a model call -> the tests every walk that reached it assumed (a loop split on an invariant test)
        self.use_assumed: dict[cst.CSTNode, dict] = {}
        self.exports: dict[cst.CSTNode, Site] = {}  # export call -> the exported model
        # training forward passes / training helper calls (and, keyed (call, key), the parts a helper trains)
        self.train_uses: dict[Any, Site] = {}
        self.helper_evals: dict[tuple[cst.CSTNode, str], HelperEval] = {}  # (call, param) -> another file evaluates
        self.helper_exports: dict[tuple[cst.CSTNode, str], HelperEval] = {}  # (call, param) -> another file exports
        # a call of another file's function that runs a module of this file on synthetic input -> the module
        self.synthetic_runs: dict[cst.CSTNode, str] = {}
        # mode changes that do not happen (`model.eval` uncalled, `model.training = False`), with the module
        # and the scope: BN102 reports them; BN101 reports the first evaluation they leave in training mode
        self.slips: list[tuple[cst.CSTNode, str, "Scope"]] = []
        self.slip_modes: dict[cst.CSTNode, frozenset] = {}  # slip -> the module's facts there (every path)
        self.freezes: dict[cst.CSTNode, Site] = {}  # requires_grad(False) on a module
        self.left_out: set[tuple[cst.CSTNode, str]] = set()  # (optimizer, a whole model of its function it leaves out)
        # a call of this file that stands for a freeze in another file (its callee's, or deeper) -> that freeze
        # and the file holding it (``applied_freezes``)
        self.freeze_origins: dict[cst.CSTNode, tuple[cst.CSTNode, "FileModel"]] = {}
        # local function param -> (argument key, the caller's state, the calling function or module) at each call
        self.call_args: dict[str, list[tuple[str, State, cst.CSTNode]]] = {}
        # the same, the first time the flow reaches each call (the first iteration of the loops around it)
        self.first_call_args: dict[str, dict[cst.CSTNode, tuple[str, State, cst.CSTNode]]] = {}
        # the same, each pass with its call: which calls a path under an assumed test comes from (``resolved``)
        self.call_sites: dict[str, list[tuple[cst.Call, tuple[str, State, cst.CSTNode]]]] = {}
        # local function param -> the calls that leave it at its default `None` (`extract(files)` with `model=None`)
        self.none_args: dict[str, set[cst.CSTNode]] = {}
        self.callback_runs: list = []  # functions of this file run as callbacks (``given_callables.CallbackRun``)
        # method -> (the state at each call, the method that makes it: `self.method()`; None from outside)
        self.method_calls: dict[cst.CSTNode, list[tuple[State, cst.FunctionDef | None, cst.Call | None]]] = {}
        # method -> (the receiver's key, the state, the function, the call) of each call on an instance a function
        # of this file holds (`mcts.search(x)` in `selfPlay`): its `self.*` are the caller's keys under `mcts.`
        self.held_calls: dict[cst.CSTNode, list[tuple[str, State, cst.FunctionDef, cst.Call]]] = {}
        # function -> {`mcts.model`: `self.model`}: what an instance it built stores of what it was given
        self.stored_aliases: dict[cst.CSTNode, dict[str, str]] = {}
        # watched module (frozen, or a submodule put in eval) -> its facts at later training steps
        self.watched: dict[cst.CSTNode, Watch] = {}
        self.summaries: dict[cst.CSTNode, Summary] = {}
        self._in_progress: set[cst.CSTNode] = set()
        # (file model, class) of the instances whose inherited methods' summaries are being worked out, innermost
        # last: their calls on `self` run what that class defines (``Callees._dispatched``)
        self.dispatch: list[tuple] = []
        self.cut_short: set[cst.CSTNode] = set()  # functions whose summary a cycle of calls cut short
        self._trainer_functions: dict[cst.CSTNode, bool] = {}
        self._decorated: dict[cst.CSTNode, bool] = {}  # function -> under a mode-setting decorator
        self._at_rest_held: dict[tuple[cst.CSTNode, str], bool] = {}  # (method, attribute) -> as __init__ left it
        self._trained_held: dict[tuple[cst.CSTNode, str], dict | None] = {}  # (method, attribute) -> as a sibling trains it
        self._called_names: set[str] | None = None  # names the file's calls call (``pytest_test``)
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
        wanted = candidate_functions(self)
        if wanted is None:
            return self
        if self._module_level_candidate:
            _Flow(self, model.module, model.module_scope).run()
        for node in list(model.scopes):
            if node in wanted:
                self.summary(node)
        return self

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
            # (whether a call of it may take a training step: it runs a module in one, or takes one itself)
            self.model.index_facts[("trains", func.name.value)] = bool(summary.trains) or any(
                self.steps.takes_step(call) for call in self.model.nodes_of(func, cst.Call))
            self.model.index_facts[("inert", func.name.value)] = lambda: _inert(summary)  # (when saved: it asks `returns`)
            # (whether what it gives back comes frozen: a builder's caller watches the parts it froze)
            self.model.index_facts[("returns_frozen", func.name.value)] = bool(summary.returned_freezes) \
                or bool(summary.element_freezes)
        self.summaries[func] = summary
        return summary

    def indexed_inert(self, call: cst.Call, bind, tracked) -> Summary | None:
        """For a call of another file's function that the project index says leaves the modules this call
        gives it alone (sets, trains, evaluates and freezes none of them, and returns none), a summary
        that says only that, with its parameters; None when the index does not say so. ``bind``:
        ``FlowCalls.bind_args``; ``tracked(key)``: whether the flow follows that module."""
        where = self.callees.imported_callee(call)
        project = self.model.project
        fact = project.indexed(where[0], "inert", where[1]) if where is not None and project is not None else None
        if not isinstance(fact, dict) or not isinstance(fact.get("params"), list) or not isinstance(fact.get("touched"), list):
            return None
        summary = Summary(params=[str(p) for p in fact["params"]], name=where[1], path=where[0])  # type: ignore[index]
        touched = set(fact["touched"])
        if any(param in touched and key_of(arg) is not None and tracked(key_of(arg)) for param, arg in bind(call, summary)):
            return None  # (a module given to a parameter it does something to: the real summary is needed)
        return summary

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
                if key not in summary.evaluates and not loss_named(key):  # (`self.criterion(out, y)`: a loss)
                    reason = self.evaluation.eval_reason(call)
                    if reason is not None:
                        summary.evaluates[key] = (call, reason)
            self._evaluated_in_helpers(summary)
        return summary.evaluates

    def _evaluated_in_helpers(self, summary: Summary) -> None:
        """Add the parameters ``summary``'s function gives, in the mode it is given them in, to a function of
        this file that runs them for evaluation (``report(model)`` calling ``score(model, loader)``, which
        runs ``predict_batch(model, x)`` under no_grad): how a caller in another file, which sees only
        ``report``'s summary, finds the evaluation calls down (read from ``call_args``)."""
        func = next((f for f, found in self.summaries.items() if found is summary), None) or next(
            (key[0] for key, found in self.__dict__.get("_given_summaries", {}).items() if found is summary), None)
        if func is None:  # (a summary as a call runs it, `search(100)`: ``given_summary``)
            return
        for where, passed in list(self.call_args.items()):
            owner, _, param = where.rpartition(".")
            for key, state, caller in passed:
                if caller is not func or key_root(key) not in summary.params or key in summary.evaluates \
                        or _lookup(state, key) != _ENTRY:
                    continue
                callee = self._function_of(owner)
                found = self.summary(callee) if callee is not None else None
                used = self.evaluations(found).get(param) if found is not None else None
                if used is not None:
                    summary.evaluates[key] = used
                    if param in found.evaluated_in:
                        summary.evaluated_in[key] = found.evaluated_in[param]
        # (a method of its class it calls on `self`, which evaluates `self.model` as it finds it: `self.p =
        # self.score(board)` in `__init__`)
        for method, calls in list(self.method_calls.items()):
            found = self.summary(method) if method is not func and any(caller is func for _, caller, _ in calls) else None
            for key, used in (self.evaluations(found).items() if found is not None else ()):
                if key.startswith("self.") and key not in summary.evaluates and all(
                        _lookup(state, key) == _ENTRY for state, caller, _ in calls if caller is func):
                    summary.evaluates[key] = used
        # (a helper of another file given the parameter, or a part of it, as it came: its summary says where it
        # evaluates it, any number of files down: `evaluate(model)` calling `forward(model)` of forward.py under
        # no_grad; a base's `evaluate()` calling `self._distances()`, which a subclass of another file overrides)
        for helper in list(self.helper_evals.values()):
            key = helper.site.key
            if key_root(key) in summary.params and key not in summary.evaluates and helper.reason != "exports it" \
                    and self.enclosing_function(helper.site.node) is func \
                    and helper.site.facts == _ENTRY:
                summary.evaluates[key] = (helper.use, helper.reason)
                summary.evaluated_in[key] = helper.callee

    def _function_of(self, args_key: str) -> cst.FunctionDef | None:
        """The function ``call_args`` files under ``args_key`` (``name``, or ``Class.method``)."""
        owner, _, name = args_key.rpartition(".")
        if not owner:
            return self.model.functions.get(name)
        info = self.model.classes.get(owner)
        return info.methods.get(name) if info is not None else None

    def function_summary(self, name: str) -> Summary | None:
        """The summary of a module-level function of this file."""
        func = self.model.functions.get(name)
        return self.summary(func) if func is not None else None

    def module_state(self) -> State | None:
        """The modes module-level code leaves its variables in; worked out on first need, by a separate
        analysis when ``run`` had no reason to follow the module's code (its findings are not this one's)."""
        if self.module_end is None and not self._module_level_candidate and self._module_shadow is None:
            self._module_shadow = ModeAnalysis(self.model)
            _Flow(self._module_shadow, self.model.module, self.model.module_scope).run()
            self.module_end = self._module_shadow.module_end
        return self.module_end

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
            cls = type(ancestor)
            if cls is cst.FunctionDef:
                return ancestor
            if cls is cst.Lambda:
                return None
        return None

    def region(self, node: cst.CSTNode) -> cst.CSTNode:
        """The innermost loop body or function (or module) around ``node``."""
        for ancestor in self.model.ancestors(node):
            cls = type(ancestor)
            if cls is cst.For or cls is cst.While or cls is cst.FunctionDef or cls is cst.Module:
                return ancestor
        return self.model.module

