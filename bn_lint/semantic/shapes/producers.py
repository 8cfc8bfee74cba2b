"""Producer -> consumer chains: which layer feeds each BatchNorm, with what width and rank.

A small abstract interpreter runs over the file's code once: the module body, every
function standalone (parameters are symbolic unknowns), every class's ``__init__``
(recording ``self.x = layer`` and ``add_module``) and then its other methods
(``forward``) with those attributes. Helper functions and project classes that are
called are interpreted again with the call site's arguments. Values are numbers,
symbolic widths (:class:`~.values.Sym`), layers (:class:`LayerValue`), chains of
modules (``nn.Sequential``, lists built with ``append``/``+=``), and tensors whose
rank and widths are known as far as the code shows (:class:`Tensor`). Whenever a
module value is applied to a tensor, a BatchNorm records what fed it
(:class:`Observation`); rules read ``chains_of(model).observations``.

Anything the interpreter cannot follow becomes UNKNOWN, and unknown means silent.

The interpreter is :class:`ChainAnalysis`, which holds the run's state and owns one part per kind of
code, each an object of its own module that reaches the others through the analysis (``self.chain.calls``):
statements (:mod:`.statements`), expressions (:mod:`.expressions`), names of this file and of other project
files (:mod:`.names`), calls (:mod:`.calls`), layers built and applied (:mod:`.layers`) and tensor operations
(:mod:`.tensors`); this module runs it over the file: the module body, each class (``__init__`` first) and
each function.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.shapes.calls import ChainCalls
from bn_lint.semantic.shapes.expressions import ChainExpressions
from bn_lint.semantic.shapes.frame import _BUDGET, Frame, _OutOfBudget  # noqa: F401  (Frame: re-exported)
from bn_lint.semantic.shapes.layers import ChainLayers
from bn_lint.semantic.shapes.names import ChainNames
from bn_lint.semantic.shapes.statements import ChainStatements
from bn_lint.semantic.shapes.tensors import ChainTensors
from bn_lint.semantic.shapes.values import (  # noqa: F401  (re-exported: other modules import them from here)
    Chain, LayerValue, Observation, ProjModule, SelfState, Tensor, _from_json, _to_json,
)
from bn_lint.semantic.shapes.sequence_feeds import SequenceFeed
from bn_lint.semantic.syntax.constants import UNKNOWN

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel


class ChainAnalysis:
    """Runs the interpreter over one file; see the module docstring. It holds the run's state (what it has
    observed, its budget, its caches); its parts evaluate, each one kind of code, and reach each other through it."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model
        self.statements = ChainStatements(self)
        self.calls = ChainCalls(self)
        self.layers = ChainLayers(self)
        self.tensors = ChainTensors(self)
        self.names = ChainNames(self)
        self.expressions = ChainExpressions(self)  # (last: its table of evaluators holds the others' methods)
        self.observations: dict[cst.Call, list[Observation]] = {}
        self.positive: set[str] = set()
        # a standalone run's parameter atom -> (its default, a positive int; the function it belongs to)
        self.defaults: dict[str, tuple[int, cst.FunctionDef]] = {}
        self.item_defaults: dict[str, int] = {}  # an item of a tuple default -> its default (`_param_value`)
        self.none_atoms: set[str] = set()
        # a standalone run's parameter atom annotated with a project class (`cfg: Config`) -> (param, function)
        self.annotated: dict[str, tuple[cst.Param, cst.FunctionDef]] = {}
        self._active: set[cst.CSTNode] = set()
        self._budget = _BUDGET
        self._class_states: dict[str, SelfState | None] = {}
        self.complete = True
        self._serial = 0
        self._foreign: dict[str, ChainAnalysis] = {}  # another file's path -> the analysis that runs its helpers
        # producers whose output is also used other than by a BatchNorm (or may be): their bias matters
        self.escaped: set[LayerValue] = set()
        self._module_calls: set[cst.Call] = set()
        self.sequence_feeds: list[SequenceFeed] = []  # BatchNorm1d outputs read as (N, L, E) by their consumer

    def run(self) -> "ChainAnalysis":
        model = self.model
        try:
            frame = Frame(model.module_scope, {}, function=False, flow=True)
            self.statements.block(frame, model.module.body)
        except _OutOfBudget:
            self.complete = False
        for info in list(model.classes.values()):
            try:
                self._run_class(info)
            except _OutOfBudget:
                self.complete = False
        for node, scope in list(model.scopes.items()):
            if scope.kind != "function" or not isinstance(node, cst.FunctionDef):
                continue
            if scope.parent is not None and scope.parent.kind == "class":
                continue
            try:
                self._budget = max(self._budget, 5_000)
                self.calls.call_function(node, None, [], {}, None, standalone=True)
            except _OutOfBudget:
                self.complete = False
        return self

    def _run_class(self, info: "ClassInfo") -> None:
        state = self._class_state(info)
        if state is None:
            return
        methods: dict[str, cst.FunctionDef] = {}
        for cls in self._mro(info):  # inherited methods run on this class's attributes too
            for name, method in cls.methods.items():
                methods.setdefault(name, method)
        for name, method in methods.items():
            if name == "__init__":
                continue
            self._budget = max(self._budget, 5_000)
            entry = SelfState(info, self._stable_attrs(info, state), state.seq)
            self.calls.call_function(method, entry, [], {}, None, standalone=True)

    def _class_state(self, info: "ClassInfo") -> SelfState | None:
        if info.name in self._class_states:
            return self._class_states[info.name]
        self._class_states[info.name] = None
        state = SelfState(info, seq=Chain((), Tensor(), True) if self._is_sequential(info) else None)
        init = self._method(info, "__init__")
        if init is not None:
            self._budget = max(self._budget, 5_000)
            self.calls.call_function(init, state, [], {}, None, standalone=True)
        self._class_states[info.name] = state
        return state

    def _stable_attrs(self, info: "ClassInfo", state: SelfState) -> dict[str, Any]:
        """Attributes whose value after ``__init__`` holds in every other method: assigned once, or only in
        ``__init__`` (on several paths: ``if use_bn: self.norm = BN(c)`` / ``else: self.norm = Identity()``,
        whose join the value after ``__init__`` already is)."""
        counts: dict[str, int] = {}
        outside: dict[str, int] = {}
        for cls in self._mro(info):
            for attr, assignments in cls.attributes.items():
                counts[attr] = counts.get(attr, 0) + len(assignments)
                outside[attr] = outside.get(attr, 0) + sum(
                    not (isinstance(scope.node, cst.FunctionDef) and scope.node.name.value == "__init__")
                    for _, scope in assignments)
        out = {}
        for attr, value in state.attrs.items():
            if counts.get(attr, 0) <= 1 or isinstance(value, (LayerValue, Chain, ProjModule)):
                out[attr] = value if counts.get(attr, 0) <= 1 or not outside.get(attr, 0) else UNKNOWN
        return out

    def _mro(self, info: "ClassInfo") -> list["ClassInfo"]:
        out, todo = [], [info]
        while todo and len(out) < 8:
            cls = todo.pop(0)
            if cls in out:
                continue
            out.append(cls)
            for base in cls.bases:
                if isinstance(base, cst.Name) and base.value in self.model.classes:
                    todo.append(self.model.classes[base.value])
        return out

    def _method(self, info: "ClassInfo", name: str) -> cst.FunctionDef | None:
        for cls in self._mro(info):
            if name in cls.methods:
                return cls.methods[name]
        return None

    def _is_sequential(self, info: "ClassInfo") -> bool:
        for cls in self._mro(info):
            for base in cls.bases:
                spec = self.model.layer_class(base, self.model.module_scope)
                if spec is not None and spec[0].name == "Sequential":
                    return True
        return False

    def _tick(self) -> None:
        self._budget -= 1
        if self._budget < 0:
            raise _OutOfBudget


def analyse(model: "FileModel") -> ChainAnalysis:
    """Run the chain analysis over one file."""
    return ChainAnalysis(model).run()


def chains_of(model: "FileModel") -> ChainAnalysis:
    """The chain analysis of ``model``'s file, run once per file."""
    return model.analysis(analyse)

