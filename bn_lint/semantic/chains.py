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
(:class:`Observation`); rules read ``FileModel.chains.observations``.

Anything the interpreter cannot follow becomes UNKNOWN, and unknown means silent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

import libcst as cst

from .chain_values import (  # noqa: F401  (LayerValue, Observation, Tensor: re-exported)
    GAP, LayerClass, _CLASS_TABLE, _LABEL_IDS, _ENTITY_TABLE, _TOKEN_TABLE, _SEQUENCE_IDS, LayerValue, FuncRef,
    ClassRef, ForeignFunc, SelfState, ProjModule, Tensor, make_tensor, Chain, Observation, _is_module, _to_json,
    _from_json, _plain_constant, _numeric, _numeric_const, _plain, _is_same, _truth, _concrete_items, _open, _open_loop, _self_chain,
    _jumps, _merge_tensor, _with_rank, _flatten, _concat, _BUILTINS,
)
from . import shape_sources
from .sequence_feeds import SequenceFeed, note_consumer
from .layers import SAME, SAME_SHAPE_FUNCTIONS, SAME_SHAPE_METHODS, TRANSPARENT_METHODS, LayerSpec
from .values import (
    UNKNOWN,
    Sym,
    is_width,
    literal_number,
    literal_string,
    sym_add,
    sym_div,
    sym_floordiv,
    sym_mul,
    sym_opaque,
)
from .not_indexed import NOT_INDEXED
from .walk import returned_values, walk

if TYPE_CHECKING:  # pragma: no cover
    from .model import ClassInfo, FileModel, Scope

# wrappers that return the module they are given (with a re-parametrized weight)
_REPARAMETRIZE = frozenset({
    "torch.nn.utils.weight_norm", "torch.nn.utils.spectral_norm", "torch.nn.utils.parametrizations.weight_norm",
    "torch.nn.utils.parametrizations.spectral_norm", "torch.nn.utils.parametrizations.orthogonal",
})
_MAX_DEPTH = 6  # nested inline calls
_MAX_UNROLL = 64
_BUDGET = 60_000  # statements + expressions interpreted per file


class _OutOfBudget(Exception):
    pass


# ------------------------------------------------------------------ frames
@dataclass(eq=False)
class Frame:
    scope: "Scope"
    locals: dict[str, Any]
    self_state: SelfState | None = None
    function: bool = True
    dead: bool = False
    returns: list[Any] = field(default_factory=list)
    depth: int = 0
    site: cst.Call | None = None
    flow: bool = False  # the module body, run in order

    def fork(self) -> "Frame":
        return Frame(self.scope, dict(self.locals), self.self_state.copy() if self.self_state else None,
                     self.function, self.dead, self.returns, self.depth, self.site, self.flow)


class ChainAnalysis:
    """Runs the interpreter over one file; see the module docstring."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model
        self.observations: dict[cst.Call, list[Observation]] = {}
        self.batchnorms: dict[cst.Call, LayerValue] = {}
        self.positive: set[str] = set()
        # a standalone run's parameter atom -> (its default, a positive int; the function it belongs to)
        self.defaults: dict[str, tuple[int, cst.FunctionDef]] = {}
        self.none_atoms: set[str] = set()
        self._static: dict[cst.CSTNode, Any] = {}
        self._active: set[cst.CSTNode] = set()
        self._budget = _BUDGET
        self._class_states: dict[str, SelfState | None] = {}
        self.complete = True
        self._last_pairs: list[tuple[cst.Arg, Any]] = []
        self._serial = 0
        self._held: list[Any] = []  # values whose id() names an atom
        self._imported: dict[str, Any] = {}  # imported dotted name -> its constant value (or UNKNOWN)
        self._foreign: dict[str, ChainAnalysis] = {}  # another file's path -> the analysis that runs its helpers
        self._helpers: dict[str, Any] = {}  # imported dotted name -> its ForeignFunc (or UNKNOWN)
        self.feature_atoms: dict[str, Any] = {}  # atom read from a tensor's shape at its feature axis -> its size
        # producers whose output is also used other than by a BatchNorm (or may be): their bias matters
        self.escaped: set[LayerValue] = set()
        self._module_calls: set[cst.Call] = set()
        self._instances: dict[tuple, Any] = {}
        self._havoc_plans: dict[cst.CSTNode, list[tuple[str, str]]] = {}
        self.sequence_feeds: list[SequenceFeed] = []  # BatchNorm1d outputs read as (N, L, E) by their consumer
        self._applied: list[cst.Call] = []  # calls applying a project module to a tensor of known rank, outermost first

    # ------------------------------------------------------------- driver
    def run(self) -> "ChainAnalysis":
        model = self.model
        try:
            frame = Frame(model.module_scope, {}, function=False, flow=True)
            self._block(frame, model.module.body)
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
                self._call_function(node, None, [], {}, None, standalone=True)
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
            self._call_function(method, entry, [], {}, None, standalone=True)

    def _class_state(self, info: "ClassInfo") -> SelfState | None:
        if info.name in self._class_states:
            return self._class_states[info.name]
        self._class_states[info.name] = None
        state = SelfState(info, seq=Chain((), Tensor(), True) if self._is_sequential(info) else None)
        init = self._method(info, "__init__")
        if init is not None:
            self._budget = max(self._budget, 5_000)
            self._call_function(init, state, [], {}, None, standalone=True)
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

    # ------------------------------------------------------------- calls
    def _call_local(self, target: FuncRef, args: list[Any], kwargs: dict[str, Any], frame: Frame,
                    call: cst.Call, lost: bool) -> Any:
        """A function of this file; one defined inside the running function (``def _inner_forward(x)`` in a
        ``forward``) sees that function's ``self`` and variables."""
        scope = self.model.scopes.get(target.node)
        inner = scope is not None and scope.parent is frame.scope and frame.function
        return self._call_function(target.node, frame.self_state if inner else None, args, kwargs, frame, site=call,
                                   unknown_rest=lost, closure=frame.locals if inner else None)

    def _call_function(self, node: cst.FunctionDef, self_state: SelfState | None, args: list[Any],
                       kwargs: dict[str, Any], caller: Frame | None, standalone: bool = False,
                       site: cst.Call | None = None, unknown_rest: bool = False,
                       closure: dict[str, Any] | None = None) -> Any:
        if node in self._active or (caller is not None and caller.depth >= _MAX_DEPTH):
            return UNKNOWN
        scope = self.model.scopes.get(node)
        if scope is None:
            return UNKNOWN
        params = node.params
        positional = list(params.posonly_params) + list(params.params)
        is_method = scope.parent is not None and scope.parent.kind == "class"
        if is_method and positional and not _is_static(node):
            positional = positional[1:]  # self / cls
        local: dict[str, Any] = dict(closure) if closure else {}
        args = list(args)
        for param in positional + list(params.kwonly_params):
            name = param.name.value
            if standalone:
                local[name] = self._param_value(param, node, scope)
            elif param in positional and args:
                local[name] = args.pop(0)
            elif name in kwargs:
                local[name] = kwargs.pop(name)
            elif unknown_rest:
                local[name] = UNKNOWN
            elif param.default is not None:
                local[name] = self._static_value(param.default, scope.parent)
            else:
                local[name] = UNKNOWN
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                local[star.name.value] = UNKNOWN
        frame = Frame(scope, local, self_state, True, depth=(caller.depth + 1) if caller else 0,
                      site=(caller.site or site) if caller else None)
        self._active.add(node)
        try:
            self._block(frame, node.body.body if isinstance(node.body, cst.IndentedBlock) else [node.body])
        finally:
            self._active.discard(node)
        if self_state is not None and frame.self_state is not None and frame.self_state is not self_state:
            self_state.attrs = frame.self_state.attrs
            self_state.seq = frame.self_state.seq
        results = list(frame.returns)
        if not frame.dead:
            results.append(None)
        out = results[0] if results else UNKNOWN
        for other in results[1:]:
            out = self._merge(out, other)
        return out

    def _param_value(self, param: cst.Param, function: cst.FunctionDef, scope: "Scope") -> Any:
        name = param.name.value
        default = self._static_value(param.default, scope.parent) if param.default is not None else UNKNOWN
        if isinstance(default, (LayerClass, FuncRef, ClassRef)):
            return default
        atom = f"{name}@{id(function)}"
        if param.default is None or (is_width(default) and not isinstance(default, Sym) and default >= 1):
            self.positive.add(atom)
            if isinstance(default, int) and not isinstance(default, bool):
                self.defaults[atom] = (default, function)
        elif default is None:
            self.none_atoms.add(atom)
        return Sym.atom(atom)

    def _instantiate(self, info: "ClassInfo", args: list[Any], kwargs: dict[str, Any], frame: Frame,
                     site: cst.Call, unknown_rest: bool) -> Any:
        """A project module built at ``site``; the same class built again at the same site with the same
        arguments (a loop building blocks) is the same abstract module, interpreted once."""
        try:
            key = (info.name, site, frame.site, tuple(args), tuple(sorted(kwargs.items())), unknown_rest)
            hash(key)
        except TypeError:  # an argument without a stable value (a list, a chain): interpret again
            key = None
        if key is not None and key in self._instances:
            return self._instances[key]
        built = self._build_instance(info, args, kwargs, frame, site, unknown_rest)
        if key is not None:
            self._instances[key] = built
        return built

    def _build_instance(self, info: "ClassInfo", args: list[Any], kwargs: dict[str, Any], frame: Frame,
                        site: cst.Call, unknown_rest: bool) -> Any:
        state = SelfState(info, seq=Chain((), Tensor(), True) if self._is_sequential(info) else None)
        init = self._method(info, "__init__")
        given = bool(args or kwargs)  # (the call binds kwargs away)
        if init is not None:
            self._call_function(init, state, args, kwargs, frame, site=site, unknown_rest=unknown_rest)
        forward = self._method(info, "forward")
        if state.seq is not None and forward is None:
            return Chain(state.seq.items, state.seq.tail, True)
        if forward is not None and init is not None and given and forward not in self._active:
            # this instance's layers, built with the call site's arguments, wired by its forward
            entry = SelfState(info, self._stable_attrs(info, state), state.seq)
            self._call_function(forward, entry, [Tensor()], {}, frame, site=site, unknown_rest=True)
        return ProjModule(state)

    # ------------------------------------------------------------- statements
    def _block(self, frame: Frame, body: Iterable[cst.CSTNode]) -> None:
        for stmt in body:
            if frame.dead:
                return
            self._stmt(frame, stmt)

    def _stmt(self, frame: Frame, stmt: cst.CSTNode) -> None:
        self._tick()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if frame.dead:
                    return
                self._small(frame, small)
        elif isinstance(stmt, cst.If):
            self._if(frame, stmt)
        elif isinstance(stmt, cst.For):
            self._for(frame, stmt)
        elif isinstance(stmt, cst.While):
            self._loop(frame, stmt, None)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                self._eval(item.item, frame)
                if item.asname is not None:
                    self._assign(frame, item.asname.name, UNKNOWN)
            self._block(frame, stmt.body.body)
        elif isinstance(stmt, cst.Try):
            before = frame.fork()
            self._block(frame, stmt.body.body)
            for handler in stmt.handlers:
                branch = before.fork()
                if handler.name is not None:
                    self._assign(branch, handler.name.name, UNKNOWN)
                self._block(branch, handler.body.body)
                self._join(frame, branch)
            if stmt.orelse is not None:
                self._block(frame, stmt.orelse.body.body)
            if stmt.finalbody is not None:
                self._block(frame, stmt.finalbody.body.body)
        elif isinstance(stmt, cst.Match):  # each case from the state before it; no case may match
            self._eval(stmt.subject, frame)
            before = frame.fork()
            for case in stmt.cases:
                branch = before.fork()
                self._havoc(branch, case.pattern)  # (the names a pattern captures)
                self._block(branch, case.body.body)
                self._join(frame, branch)
        elif isinstance(stmt, cst.FunctionDef):
            if frame.function:
                frame.locals[stmt.name.value] = FuncRef(stmt)
        elif isinstance(stmt, cst.ClassDef):
            if frame.function:
                frame.locals[stmt.name.value] = UNKNOWN
        else:
            self._havoc(frame, stmt)

    def _small(self, frame: Frame, small: cst.CSTNode) -> None:
        if isinstance(small, cst.Assign):
            value = self._eval(small.value, frame)
            for target in small.targets:
                self._assign(frame, target.target, value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self._assign(frame, small.target, self._eval(small.value, frame))
        elif isinstance(small, cst.AugAssign):
            current = self._eval(small.target, frame)
            value = self._eval(small.value, frame)
            self._assign(frame, small.target, self._binop(small.operator, current, value, frame, small))
        elif isinstance(small, cst.Expr):
            self._eval(small.value, frame)
        elif isinstance(small, cst.Return):
            frame.returns.append(self._eval(small.value, frame) if small.value is not None else None)
            frame.dead = True
        elif isinstance(small, (cst.Raise, cst.Break, cst.Continue)):
            frame.dead = True
        elif isinstance(small, cst.Del):
            self._havoc(frame, small)
            for node in walk(small.target):
                if isinstance(node, cst.Name):
                    frame.locals[node.value] = UNKNOWN

    def _if(self, frame: Frame, stmt: cst.If) -> None:
        truth = _truth(self._eval(stmt.test, frame))
        if truth is True:
            self._block(frame, stmt.body.body)
            return
        orelse = stmt.orelse
        if truth is False:
            if isinstance(orelse, cst.If):
                self._if(frame, orelse)
            elif orelse is not None:
                self._block(frame, orelse.body.body)
            return
        other = frame.fork()
        self._block(frame, stmt.body.body)
        if isinstance(orelse, cst.If):
            self._if(other, orelse)
        elif orelse is not None:
            self._block(other, orelse.body.body)
        self._join(frame, other)

    def _for(self, frame: Frame, stmt: cst.For) -> None:
        items = _concrete_items(self._eval(stmt.iter, frame))
        if items is not None and len(items) <= _MAX_UNROLL and not _jumps(stmt.body):
            for item in items:
                if frame.dead:
                    break
                self._assign(frame, stmt.target, item)
                self._block(frame, stmt.body.body)
            if stmt.orelse is not None:
                self._block(frame, stmt.orelse.body.body)
            return
        self._loop(frame, stmt, stmt.target)

    def _loop(self, frame: Frame, stmt: cst.For | cst.While, target: cst.BaseExpression | None) -> None:
        """One pass over the body from a state where everything the body changes is unknown."""
        if isinstance(stmt, cst.While):
            self._eval(stmt.test, frame)
        self._havoc(frame, stmt.body, loop=True)
        body = frame.fork()
        body.dead = False
        if target is not None:
            if isinstance(target, cst.Name):
                body.locals[target.value] = Sym.atom(f"{target.value}@{id(stmt)}")
            else:
                self._assign(body, target, UNKNOWN)
        self._block(body, stmt.body.body)
        if not body.dead:
            self._join(frame, body)
        self._havoc(frame, stmt.body, loop=True)
        if stmt.orelse is not None:
            self._block(frame, stmt.orelse.body.body)

    def _havoc(self, frame: Frame, node: cst.CSTNode, loop: bool = False) -> None:
        """Forget what ``node`` may change: assigned names, appended lists, self attributes."""
        plan = self._havoc_plans.get(node)
        if plan is None:
            plan = self._havoc_plans[node] = _havoc_plan(node)
        state = frame.self_state
        reopen = _open_loop if loop else _open  # (a loop's first pass starts from the tail before it)
        for op, name in plan:
            if op == "receiver":
                value = frame.locals.get(name)
                if isinstance(value, Chain):
                    frame.locals[name] = reopen(value)
            elif op == "name":
                current = frame.locals.get(name)
                frame.locals[name] = reopen(current) if isinstance(current, Chain) and loop else UNKNOWN
            elif op == "self_receiver":  # `self.features.add_module(...)`
                if state is not None and isinstance(state.attrs.get(name), Chain):
                    state.attrs[name] = reopen(state.attrs[name])
            elif state is not None:
                if op == "self_attr":
                    state.attrs[name] = UNKNOWN
                if state.seq is not None:  # "self_attr" and "self_call": the module's own chain may change
                    state.seq = reopen(state.seq)

    def _join(self, frame: Frame, other: Frame) -> None:
        if other.dead:
            return
        if frame.dead:
            frame.locals, frame.self_state, frame.dead = other.locals, other.self_state, False
            return
        merged = {}
        for name in set(frame.locals) | set(other.locals):
            if name in frame.locals and name in other.locals:
                merged[name] = self._merge(frame.locals[name], other.locals[name])
            else:
                merged[name] = UNKNOWN
        frame.locals = merged
        a, b = frame.self_state, other.self_state
        if a is not None and b is not None:
            attrs = {}
            for name in set(a.attrs) | set(b.attrs):
                attrs[name] = self._merge(a.attrs.get(name, UNKNOWN), b.attrs.get(name, UNKNOWN))
            seq = self._merge(a.seq, b.seq) if a.seq is not None and b.seq is not None else a.seq
            frame.self_state = SelfState(a.info, attrs, seq if isinstance(seq, Chain) else _open(a.seq) if a.seq else None)

    def _merge(self, a: Any, b: Any) -> Any:
        if a is b:
            return a
        out = self._merge_values(a, b)
        if out is not a:
            self._escape(a)
        if out is not b:
            self._escape(b)
        return out

    def _merge_values(self, a: Any, b: Any) -> Any:
        if type(a) is type(b) and not isinstance(a, (LayerValue, ProjModule)):
            try:
                if a == b:
                    return a
            except Exception:  # pragma: no cover - defensive
                return UNKNOWN
        for x, y in ((a, b), (b, a)):
            if isinstance(x, Sym) and x.atoms() <= self.none_atoms and len(x.terms) == 1 and isinstance(y, (LayerClass, FuncRef, ClassRef)):
                return y  # `if norm_layer is None: norm_layer = nn.BatchNorm2d`
            if isinstance(x, LayerValue) and x.spec.is_batchnorm and isinstance(y, LayerValue) and y.spec.kind == "identity":
                # `nn.BatchNorm2d(c) if use_bn else nn.Identity()`: where the BatchNorm exists, its input is the
                # same; its shape checks hold, a bias before it is wasted only on some paths (no BN204)
                x.optional = True
                return x
        if isinstance(a, Chain) and isinstance(b, Chain):
            common = 0
            while common < min(len(a.items), len(b.items)) and a.items[common] is b.items[common]:
                common += 1
            items = a.items[:common]
            if common < len(a.items) or common < len(b.items):
                items += (GAP,)
            tail = a.tail if a.tail == b.tail else _merge_tensor(a.tail, b.tail)
            return Chain(items, tail, a.sequential and b.sequential)
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            return _merge_tensor(a, b)
        return UNKNOWN

    # ------------------------------------------------------------- assignment
    def _assign(self, frame: Frame, target: cst.BaseExpression, value: Any) -> None:
        if isinstance(target, cst.Name):
            if value is UNKNOWN:
                # an unknown value still equals itself: a fresh atom per assignment executed
                self._serial += 1
                value = Sym.atom(f"{target.value}@{self._serial}")
            frame.locals[target.value] = value
        elif isinstance(target, cst.Attribute):
            if _is_self(target.value) and frame.self_state is not None:
                state = frame.self_state
                state.attrs[target.attr.value] = value
                if state.seq is not None and _is_module(value):
                    state.seq = self._extend(state.seq, [value])
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            items = _concrete_items(value)
            if items is not None and len(items) == len(elements) and not any(isinstance(e, cst.StarredElement) for e in elements):
                for element, item in zip(elements, items):
                    self._assign(frame, element.value, item)
            else:
                for element in elements:
                    self._assign(frame, element.value, UNKNOWN)
        elif isinstance(target, cst.StarredElement):
            self._assign(frame, target.value, UNKNOWN)
        elif isinstance(target, cst.Subscript):
            base = target.value
            if isinstance(base, cst.Name) and base.value in frame.locals:
                frame.locals[base.value] = UNKNOWN

    # ------------------------------------------------------------- expressions
    def _static_value(self, expr: cst.BaseExpression, scope: "Scope | None") -> Any:
        if expr in self._static:
            return self._static[expr]
        if expr in self._active:
            return UNKNOWN
        self._active.add(expr)
        try:
            value = self._eval(expr, Frame(scope or self.model.module_scope, {}, function=False))
        finally:
            self._active.discard(expr)
        self._static[expr] = value
        return value

    def _lookup(self, name: str, frame: Frame) -> Any:
        if name in frame.locals:
            return frame.locals[name]
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        model = self.model
        scope = frame.scope
        if frame.function and (name in scope.bindings or name in scope.opaque or name in scope.params):
            return UNKNOWN
        if frame.flow and name in scope.bindings:
            return UNKNOWN  # module level: not yet bound in this flow, or rebound
        bound = model.binding(name, scope)
        if bound is not None:
            return self._static_value(bound[0], bound[1])
        if name in model.functions:
            return FuncRef(model.functions[name])
        if name in model.classes:
            return ClassRef(name)
        found = model.layer_class(cst.Name(name), model.module_scope) if name in model.imports or model.star_imports else None
        if found is not None:
            return LayerClass(found[0], tuple((k, UNKNOWN) for k in found[1]))
        if name in model.imports:
            dotted = model.imports[name]
            value = self._imported_constant(dotted)
            if value is UNKNOWN:
                if dotted not in self._helpers:
                    self._helpers[dotted] = self._imported_function(dotted)
                value = self._helpers[dotted]
            return value
        return UNKNOWN

    def _imported_function(self, dotted: str) -> Any:
        """``ForeignFunc`` for a function of the project file behind ``dotted`` that returns one torch.nn
        layer it builds (``def conv3x3(i, o): return nn.Conv2d(i, o, 3, padding=1, bias=False)``): run
        there for each call; a factory of other shapes stays UNKNOWN (and is not interpreted)."""
        project = self.model.project
        where = self.model.imported_path(dotted, "def") if project is not None else None
        if where is None or project.indexed(where[0], "helper", where[1]) is False:
            return UNKNOWN
        other = project.model(where[0])
        if other is None or other is self.model or where[1] not in other.functions:
            return UNKNOWN
        function = other.functions[where[1]]
        returns = returned_values(function)
        scope = other.scopes.get(function)
        helper = bool(returns) and all(isinstance(value, cst.Call) and other.layer_class(value.func, scope) is not None
                                       for value in returns)
        other.index_facts[("helper", where[1])] = helper
        return ForeignFunc(other, function) if helper else UNKNOWN

    def _foreign_layer(self, target: ForeignFunc, args: list[Any], kwargs: dict[str, Any], call: cst.Call) -> Any:
        """The layer another file's helper builds and returns (``conv3x3(in_planes, planes)``), run there
        with this call's arguments, as a layer built here whose widths alone are known: its other
        arguments (a bias) stay unknown, so only width checks use it."""
        key = (target.model.path, target.node.name.value)
        if key in _IMPORTING:
            return UNKNOWN
        _IMPORTING.add(key)
        analysis = self._foreign.get(target.model.path)
        if analysis is None:
            analysis = self._foreign[target.model.path] = ChainAnalysis(target.model)
        try:
            built = analysis._call_function(target.node, None, args, dict(kwargs), None, site=call)
        except (_OutOfBudget, RecursionError):
            return UNKNOWN
        finally:
            _IMPORTING.discard(key)
        if not isinstance(built, LayerValue):
            return UNKNOWN
        spec = built.spec
        widths: dict[str, Any] = {}
        for param in (spec.in_width, spec.out_width, spec.doubles_with):
            value = built.value(param)
            if param is not None and (is_width(value) or (param == spec.doubles_with and isinstance(value, bool))):
                widths[param] = value
        return LayerValue(call, spec, {}, widths, frozenset(), False, {}, call)

    def _imported_constant(self, dotted: str) -> Any:
        """A plain constant (number, string, tuple of them) bound once at module level in the project
        file behind ``dotted`` (``from config import WIDTH``, ``config.WIDTH``); else UNKNOWN."""
        if dotted in self._imported:
            return self._imported[dotted]
        self._imported[dotted] = value = self._imported_value(dotted)
        return value

    def _imported_value(self, dotted: str) -> Any:
        model = self.model
        where = model.imported_path(dotted)
        if where is None or model.project is None or not model.project.may_assign(*where):
            return UNKNOWN  # (not a module-level assignment there: no parse)
        indexed = model.project.indexed(where[0], "const", where[1])
        if indexed is not NOT_INDEXED:
            return _from_json(indexed)
        other = model.project.model(where[0])
        if other is None or other is model:
            return UNKNOWN
        name = where[1]
        bound = other.binding(name, other.module_scope)
        key = (other.path, name)
        if bound is None or key in _IMPORTING:
            return UNKNOWN
        outermost = not _IMPORTING  # (inside a cycle, an answer may be cut short: not one to keep)
        _IMPORTING.add(key)
        try:
            value = ChainAnalysis(other)._static_value(bound[0], bound[1])
        finally:
            _IMPORTING.discard(key)
        value = value if _plain_constant(value) else UNKNOWN
        if outermost:
            other.index_facts[("const", name)] = _to_json(value)
        return value

    def _eval(self, expr: cst.BaseExpression | None, frame: Frame) -> Any:
        value = self._eval_inner(expr, frame)
        if isinstance(value, Tensor) and value.direct and value.producer is not None and not self._feeds_module(expr):
            self.escaped.add(value.producer)
        return value

    def _feeds_module(self, expr: cst.BaseExpression | None) -> bool:
        """``expr``'s value goes only to a module call, a plain name, or nowhere."""
        parent = self.model.parent(expr) if expr is not None else None
        if isinstance(parent, cst.Arg) and not parent.star and not parent.keyword:
            return self.model.parent(parent) in self._module_calls
        if isinstance(parent, cst.Assign):
            return len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name)
        if isinstance(parent, cst.AnnAssign):
            return isinstance(parent.target, cst.Name)
        return isinstance(parent, cst.Expr)

    def _escape(self, value: Any) -> None:
        if isinstance(value, Tensor) and value.direct and value.producer is not None:
            self.escaped.add(value.producer)

    def _eval_inner(self, expr: cst.BaseExpression | None, frame: Frame) -> Any:
        if expr is None:
            return None
        self._tick()
        evaluator = _EVALUATORS.get(type(expr).__name__)  # a table by node class: isinstance on libcst's ABCs is slow
        return evaluator(self, expr, frame) if evaluator is not None else UNKNOWN

    def _eval_number(self, expr: cst.BaseExpression, frame: Frame) -> Any:
        number = literal_number(expr)
        return UNKNOWN if number is None else number

    def _eval_name(self, expr: cst.Name, frame: Frame) -> Any:
        return self._lookup(expr.value, frame)

    def _eval_string(self, expr: cst.SimpleString | cst.ConcatenatedString, frame: Frame) -> Any:
        return literal_string(expr)

    def _eval_binary(self, expr: cst.BinaryOperation, frame: Frame) -> Any:
        left = self._eval(expr.left, frame)
        right = self._eval(expr.right, frame)
        return self._binop(expr.operator, left, right, frame, expr)

    def _eval_unary(self, expr: cst.UnaryOperation, frame: Frame) -> Any:
        number = literal_number(expr)
        if number is not None:
            return number
        inner = self._eval(expr.expression, frame)
        if isinstance(expr.operator, cst.Not):
            truth = _truth(inner)
            return UNKNOWN if truth is None else not truth
        if isinstance(expr.operator, cst.Minus):
            return sym_mul(inner, -1) if _numeric(inner) else UNKNOWN
        return inner if _numeric(inner) else UNKNOWN

    def _eval_boolean(self, expr: cst.BooleanOperation, frame: Frame) -> Any:
        left = self._eval(expr.left, frame)
        truth = _truth(left)
        is_or = isinstance(expr.operator, cst.Or)
        if truth is (not is_or):
            return self._eval(expr.right, frame)
        if truth is is_or:
            return left
        return self._merge(left, self._eval(expr.right, frame))

    def _eval_ifexp(self, expr: cst.IfExp, frame: Frame) -> Any:
        truth = _truth(self._eval(expr.test, frame))
        if truth is True:
            return self._eval(expr.body, frame)
        if truth is False:
            return self._eval(expr.orelse, frame)
        return self._merge(self._eval(expr.body, frame), self._eval(expr.orelse, frame))

    def _eval_sequence(self, expr: cst.List | cst.Tuple, frame: Frame) -> Any:
        items: list[Any] = []
        for element in expr.elements:
            if isinstance(element, cst.StarredElement):
                inner = _concrete_items(self._eval(element.value, frame))
                if inner is None:
                    if isinstance(expr, cst.Tuple):
                        return UNKNOWN
                    items.append(GAP)
                else:
                    items.extend(inner)
            else:
                items.append(self._eval(element.value, frame))
        if isinstance(expr, cst.Tuple):
            return tuple(items)
        return self._extend(Chain((), Tensor()), items)

    def _eval_dict(self, expr: cst.Dict, frame: Frame) -> Any:
        out = {}
        for element in expr.elements:
            if not isinstance(element, cst.DictElement):
                return UNKNOWN
            key = self._eval(element.key, frame)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                return UNKNOWN
            out[key] = self._eval(element.value, frame)
        return out

    def _eval_comprehension(self, expr: cst.ListComp | cst.GeneratorExp | cst.DictComp | cst.SetComp, frame: Frame) -> Any:
        """An unknown value; its element is evaluated once, with the loop variables unknown, for the layers
        it builds (``nn.ModuleDict({name: nn.Sequential(...) for name in tasks})``)."""
        inner = frame.fork()
        for_in: cst.CompFor | None = expr.for_in
        while for_in is not None:
            self._eval(for_in.iter, inner)
            self._assign(inner, for_in.target, UNKNOWN)
            for_in = for_in.inner_for_in
        for part in (expr.key, expr.value) if isinstance(expr, cst.DictComp) else (expr.elt,):
            self._eval(part, inner)
        return Chain((GAP,), Tensor()) if not isinstance(expr, cst.DictComp) else UNKNOWN

    def _eval_lambda(self, expr: cst.Lambda, frame: Frame) -> Any:
        """An unknown value; its body is evaluated once, with the parameters unknown, for the layers it
        builds (``head = lambda n: nn.Sequential(nn.Flatten(), nn.Linear(4096, 512), nn.BatchNorm2d(512))``)."""
        inner = frame.fork()
        params = expr.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            self._assign(inner, param.name, UNKNOWN)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self._assign(inner, star.name, UNKNOWN)
        self._eval(expr.body, inner)
        return UNKNOWN

    def _attribute(self, expr: cst.Attribute, frame: Frame) -> Any:
        model = self.model
        name = expr.attr.value
        if _is_self(expr.value) and frame.self_state is not None:
            state = frame.self_state
            if name in state.attrs:
                return state.attrs[name]
            return self._class_constant(state.info, name)
        found = model.layer_class(expr, frame.scope)
        if found is not None:
            return LayerClass(found[0], tuple((k, UNKNOWN) for k in found[1]))
        qualname = model.qualname(expr)
        if qualname is not None:
            return self._imported_constant(qualname)
        base = self._eval(expr.value, frame)
        if isinstance(base, ClassRef) and base.name in model.classes:
            return self._class_constant(model.classes[base.name], name)
        if isinstance(base, Sym) and len(base.terms) == 1:
            (mono, coeff), = base.terms.items()
            if len(mono) == 1 and coeff == 1:
                atom = f"{mono[0]}.{name}"
                self.positive.add(atom)
                return Sym.atom(atom)
        if isinstance(base, Tensor) and name == "shape":
            return self._shape_of(base)
        return UNKNOWN

    def _shape_of(self, t: Tensor) -> Any:
        """``t.shape`` of a tensor of known rank: its sizes, with the feature axis as an atom that
        remembers it (``b, c, t = x.shape``; ``x.view(b, t, c)`` then has its features last)."""
        if t.rank is None:
            return UNKNOWN
        sizes: list[Any] = [t.size(axis) for axis in range(t.rank)]
        if t.feat is not None:
            self._serial += 1
            atom = f"features@{self._serial}"
            self.feature_atoms[atom] = sizes[t.feat]
            sizes[t.feat] = Sym.atom(atom)
        return tuple(sizes)

    def _known_sizes(self, value: Any) -> Any:
        """``value`` with each feature atom of known size replaced by that size."""
        if not isinstance(value, Sym):
            return value
        out: Any = 0
        for mono, coeff in value.terms.items():
            term: Any = Sym({(): coeff})
            for atom in mono:
                known = self.feature_atoms.get(atom, UNKNOWN)
                term = sym_mul(term, known if is_width(known) else Sym.atom(atom))
            out = sym_add(out, term)
        return out

    def _feature_axis(self, shape: list[Any]) -> int | None:
        """The one axis of a new ``shape`` whose size carries a feature atom, if exactly one does."""
        axes = [i for i, s in enumerate(shape) if isinstance(s, Sym) and s.atoms() & self.feature_atoms.keys()]
        return axes[0] if len(axes) == 1 else None

    def _class_constant(self, info: "ClassInfo", name: str) -> Any:
        for cls in self._mro(info):
            values = cls.scope.bindings.get(name)
            if values:
                if len(values) == 1:
                    return self._static_value(values[0], cls.scope)
                return UNKNOWN
            if name in cls.methods:
                return ("method", cls.methods[name])
        return UNKNOWN

    def _subscript(self, expr: cst.Subscript, frame: Frame) -> Any:
        base = self._eval(expr.value, frame)
        if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Slice) and not isinstance(base, Tensor):
            return self._slice(base, expr.slice[0].slice, frame)  # `dims[:-1]`
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
            return Tensor() if isinstance(base, Tensor) else UNKNOWN
        key = self._eval(expr.slice[0].slice.value, frame)
        if isinstance(base, dict):
            return base.get(key, UNKNOWN) if isinstance(key, (str, int)) else UNKNOWN
        items = _concrete_items(base)
        if items is not None and isinstance(key, int) and not isinstance(key, bool) and -len(items) <= key < len(items):
            return items[key]
        if isinstance(base, Tensor):
            return Tensor()
        if isinstance(key, (int, str)) and not isinstance(key, bool):
            if isinstance(base, Sym):
                return sym_opaque("getitem", base, key) if isinstance(key, int) else Sym.atom(f"{base!r}[{key!r}]@{id(base)}")
            if isinstance(base, Chain) and not base.sequential:
                self._held.append(base)
                return Sym.atom(f"item[{key!r}]@{id(base)}")
        return UNKNOWN

    def _slice(self, base: Any, part: cst.Slice, frame: Frame) -> Any:
        """``widths[1:]`` of a sequence whose items are known: a tuple of them."""
        items = _concrete_items(base)
        bounds = [self._eval(b, frame) if b is not None else None for b in (part.lower, part.upper, part.step)]
        if items is None or not all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in bounds):
            return UNKNOWN
        if bounds[2] == 0:
            return UNKNOWN
        return tuple(items[slice(*bounds)])

    def _compare(self, expr: cst.Comparison, frame: Frame) -> Any:
        left = self._eval(expr.left, frame)
        result: Any = True
        for target in expr.comparisons:
            right = self._eval(target.comparator, frame)
            op = target.operator
            if isinstance(op, (cst.Is, cst.IsNot)):
                verdict = _is_same(left, right)
                if verdict is not None and isinstance(op, cst.IsNot):
                    verdict = not verdict
            elif isinstance(op, (cst.Equal, cst.NotEqual)):
                verdict = None
                if _plain(left) and _plain(right):
                    verdict = left == right
                elif (isinstance(left, Sym) and isinstance(right, str)) or (isinstance(left, str) and isinstance(right, Sym)):
                    verdict = None
                if verdict is not None and isinstance(op, cst.NotEqual):
                    verdict = not verdict
            elif isinstance(op, (cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual)) and _numeric_const(left) and _numeric_const(right):
                verdict = {cst.LessThan: left < right, cst.GreaterThan: left > right,
                           cst.LessThanEqual: left <= right, cst.GreaterThanEqual: left >= right}[type(op)]
            elif isinstance(op, (cst.In, cst.NotIn)) and _plain(left) and isinstance(right, (tuple, Chain)):
                items = _concrete_items(right)
                verdict = None if items is None or not all(_plain(i) for i in items) else left in items
                if verdict is not None and isinstance(op, cst.NotIn):
                    verdict = not verdict
            else:
                verdict = None
            if verdict is None:
                result = UNKNOWN
            elif verdict is False and result is not UNKNOWN:
                return False
            left = right
        return result

    def _binop(self, op: cst.BaseBinaryOp | cst.BaseAugOp, left: Any, right: Any, frame: Frame, node: cst.CSTNode) -> Any:
        kind = type(op).__name__.replace("Assign", "")
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return shape_sources.tensor_binop(self, kind, left, right, node)
        if kind == "Add":
            if isinstance(left, Chain) and isinstance(right, Chain):
                return self._extend(left, list(right.items))
            if isinstance(left, tuple) and isinstance(right, tuple):
                return left + right
            if isinstance(left, str) and isinstance(right, str):
                return left + right
            return sym_add(left, right) if _numeric(left) and _numeric(right) else UNKNOWN
        if not (_numeric(left) and _numeric(right)):
            return UNKNOWN
        if kind == "Subtract":
            return sym_add(left, right, -1)
        if kind == "Multiply":
            return sym_mul(left, right)
        if kind == "Divide":
            return sym_div(left, right)
        if kind == "FloorDivide":
            return sym_floordiv(left, right)
        if _numeric_const(left) and _numeric_const(right):
            try:
                if kind == "Modulo":
                    return left % right
                if kind == "Power" and abs(right) < 64:
                    return left ** right
            except ArithmeticError:
                return UNKNOWN
            return UNKNOWN
        return sym_opaque(kind.lower(), left, right)

    # ------------------------------------------------------------- call evaluation
    def _args(self, call: cst.Call, frame: Frame) -> tuple[list[Any], dict[str, Any], bool]:
        """Evaluated positional and keyword arguments; the flag says some were not followed."""
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        lost = False
        pairs: list[tuple[cst.Arg, Any]] = []
        for arg in call.args:
            value = self._eval(arg.value, frame)
            pairs.append((arg, value))
            if arg.star == "*":
                items = _concrete_items(value)
                if items is None or GAP in items:
                    lost = True
                else:
                    args.extend(items)
            elif arg.star == "**":
                lost = True
            elif arg.keyword is not None:
                kwargs[arg.keyword.value] = value
            else:
                args.append(value)
        self._last_pairs = pairs
        return args, kwargs, lost

    def _call(self, call: cst.Call, frame: Frame) -> Any:
        func = call.func
        model = self.model
        # list / Sequential / self mutations
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = func.value
            if method in ("append", "extend", "add_module", "register_module", "insert") and (
                (isinstance(receiver, cst.Name) and receiver.value in frame.locals) or _is_self(receiver)
                or _self_chain(receiver, frame) is not None
            ):
                return self._mutate(call, method, receiver, frame)
            if method == "__init__" and isinstance(receiver, cst.Call) and _is_name(receiver.func, "super"):
                return self._super_init(call, frame)
        qn = model.qualname(func)
        if qn is not None:
            handled = self._torch_function(qn, call, frame)
            if handled is not _NOT_HANDLED:
                return handled
        found = model.layer_class(func, frame.scope) if isinstance(func, cst.Attribute) else None
        pretrained = _pretrained_embedding(model, func, frame.scope) if found is None else None
        if pretrained is not None:  # `nn.Embedding.from_pretrained(vectors)`: an Embedding of unknown widths
            self._args(call, frame)
            return self._build(LayerClass(pretrained, ()), call, [], False, frame)
        if found is not None:
            target: Any = LayerClass(found[0], tuple((k, UNKNOWN) for k in found[1]))
        elif isinstance(func, cst.Name) and func.value in _BUILTINS and self._lookup(func.value, frame) is UNKNOWN \
                and func.value not in frame.locals:
            args, kwargs, lost = self._args(call, frame)
            return UNKNOWN if lost else _BUILTINS[func.value](args, kwargs)
        elif isinstance(func, cst.Attribute) and not (_is_self(func.value) and frame.self_state is not None):
            base = self._eval(func.value, frame)
            if shape_sources.module_method(base, func.attr.value) is not shape_sources.NOT_HANDLED:
                self._args(call, frame)
                return base  # `Net().to(device)`
            if isinstance(base, (Tensor, Sym)) or (base is UNKNOWN and func.attr.value in _TENSOR_METHODS):
                tensor = base if isinstance(base, Tensor) else Tensor()
                return self._tensor_method(func.attr.value, tensor, call, frame)
            if isinstance(base, ClassRef) and base.name in model.classes:
                target = self._class_constant(model.classes[base.name], func.attr.value)
            else:
                args, kwargs, lost = self._args(call, frame)
                return UNKNOWN
        else:
            target = self._eval(func, frame)
        if isinstance(target, tuple) and len(target) == 2 and target[0] == "method":
            args, kwargs, lost = self._args(call, frame)
            self_state = frame.self_state if _is_self(getattr(func, "value", None)) else None
            return self._call_function(target[1], self_state, args, kwargs, frame, site=call, unknown_rest=lost)
        if _is_module(target):
            self._module_calls.add(call)
        args, kwargs, lost = self._args(call, frame)
        pairs = self._last_pairs
        if isinstance(target, LayerClass):
            return self._build(target, call, pairs, lost, frame)
        if isinstance(target, FuncRef):
            return self._call_local(target, args, kwargs, frame, call, lost)
        if isinstance(target, ForeignFunc):
            return UNKNOWN if lost else self._foreign_layer(target, args, kwargs, call)
        if isinstance(target, ClassRef) and target.name in model.classes:
            return self._instantiate(model.classes[target.name], args, kwargs, frame, call, lost)
        if _is_module(target):
            tensor = args[0] if args else UNKNOWN
            return self._apply(target, tensor if isinstance(tensor, Tensor) else Tensor(), at=call)
        for arg in call.args:  # an unknown callee may change the lists it is given
            if isinstance(arg.value, cst.Name) and isinstance(frame.locals.get(arg.value.value), Chain):
                frame.locals[arg.value.value] = _open(frame.locals[arg.value.value])
        return UNKNOWN

    def _mutate(self, call: cst.Call, method: str, receiver: cst.BaseExpression, frame: Frame) -> Any:
        args, kwargs, lost = self._args(call, frame)
        if _is_self(receiver):
            state = frame.self_state
            if state is None:
                return UNKNOWN
            if method in ("add_module", "register_module") and len(args) == 2 and not lost:
                name, module = args
                if isinstance(name, str):
                    state.attrs[name] = module
                if state.seq is not None:
                    state.seq = self._extend(state.seq, [module])
            elif state.seq is not None:
                state.seq = _open(state.seq)
            return None
        if isinstance(receiver, cst.Attribute):  # `self.classifier.add_module(...)`: that attribute's chain
            holder, name = frame.self_state.attrs, receiver.attr.value  # type: ignore[union-attr]
        else:
            holder, name = frame.locals, receiver.value  # type: ignore[attr-defined]
        current = holder.get(name)
        if not isinstance(current, Chain):
            return None
        if lost:
            holder[name] = _open(current)
        elif method == "append" and len(args) == 1:
            holder[name] = self._extend(current, args)
        elif method == "extend" and len(args) == 1:
            items = _concrete_items(args[0])
            holder[name] = self._extend(current, list(items)) if items is not None else _open(current)
        elif method in ("add_module", "register_module") and len(args) == 2:
            holder[name] = self._extend(current, [args[1]])
        else:
            holder[name] = Chain((GAP,), Tensor(), current.sequential)
        return None

    def _super_init(self, call: cst.Call, frame: Frame) -> Any:
        state = frame.self_state
        args, kwargs, lost = self._args(call, frame)
        if state is None:
            return None
        if state.seq is not None:
            items: list[Any] = list(args)
            if len(args) == 1 and isinstance(args[0], dict):
                items = list(args[0].values())
            if lost:
                items.append(GAP)
            state.seq = self._extend(state.seq, items)
            return None
        for base in state.info.bases:
            if isinstance(base, cst.Name) and base.value in self.model.classes:
                init = self.model.classes[base.value].methods.get("__init__")
                if init is not None:
                    self._call_function(init, state, args, kwargs, frame, site=call, unknown_rest=lost)
                break
        return None

    def _build(self, cls: LayerClass, call: cst.Call, pairs: list[tuple[cst.Arg, Any]], lost: bool,
               frame: Frame) -> Any:
        spec = cls.spec
        args = [v for a, v in pairs if not a.keyword and not a.star]
        if any(a.star == "*" for a, _ in pairs):
            args = []
            for a, v in pairs:
                if a.star == "*":
                    items = _concrete_items(v)
                    if items is None or GAP in items:
                        lost = True
                    else:
                        args.extend(items)
                elif not a.keyword and not a.star:
                    args.append(v)
        if spec.name == "Sequential":
            items = list(args)
            if len(args) == 1 and isinstance(args[0], dict):
                items = list(args[0].values())
            if lost:
                items.insert(0, GAP)
            return self._extend(Chain((), Tensor(), True), items)
        if spec.kind == "container":
            return UNKNOWN
        values: dict[str, Any] = {k: v for k, v in cls.preset if v is not UNKNOWN}
        exprs: dict[str, cst.BaseExpression] = {}
        index = 0
        for arg, value in pairs:
            if arg.star:
                lost = True
                if arg.star == "*":
                    index = len(spec.params)
                continue
            if arg.keyword is not None:
                values[arg.keyword.value] = value
                exprs[arg.keyword.value] = arg.value
            elif index < len(spec.params):
                values[spec.params[index]] = value
                exprs[spec.params[index]] = arg.value
                index += 1
        plain = not lost and not cls.preset
        layer = LayerValue(call, spec, exprs, values, frozenset(k for k, _ in cls.preset), plain,
                           dict(frame.locals) if spec.is_batchnorm else {}, frame.site)
        if spec.is_batchnorm:
            self.batchnorms.setdefault(call, layer)
        return layer

    def _extend(self, chain: Chain, items: list[Any]) -> Chain:
        tail = chain.tail
        for item in items:
            tail = self._apply(item, tail) if item is not GAP else Tensor()
            if not isinstance(tail, Tensor):
                tail = Tensor()
        return Chain(chain.items + tuple(items), tail, chain.sequential)

    # ------------------------------------------------------------- application
    def _apply(self, module: Any, tensor: Tensor, at: cst.Call | None = None) -> Any:
        self._tick()
        if isinstance(module, LayerValue):
            return self._apply_layer(module, tensor, at)
        if isinstance(module, Chain):
            for item in module.items:
                tensor = self._apply(item, tensor) if item is not GAP else Tensor()
                if not isinstance(tensor, Tensor):
                    tensor = Tensor()
            return tensor
        if isinstance(module, ProjModule):
            forward = self._method(module.state.info, "forward")
            if forward is None or forward in self._active or len(self._active) >= 12:
                self._escape(tensor)
            if forward is None:
                return self._apply(module.state.seq, tensor) if module.state.seq is not None else Tensor()
            if at is not None and tensor.rank is not None:
                self._applied.append(at)
            try:
                out = self._call_function(forward, module.state, [tensor], {}, None, unknown_rest=True) if len(self._active) < 12 else UNKNOWN
            finally:
                if at is not None and tensor.rank is not None:
                    self._applied.pop()
            return out if isinstance(out, (Tensor, tuple)) else Tensor()
        return Tensor()

    def _label_embedding(self, layer: LayerValue, at: cst.Call | None) -> bool:
        """An embedding of class labels (``nn.Embedding(num_classes, dim)``, applied to ``y`` / ``labels``):
        a conditional GAN's or recommender's (N,) ids give (N, E), not the (N, L, E) of a token batch."""
        table = layer.args.get("num_embeddings")
        if table is not None and _CLASS_TABLE.search(self.model.code(table)):
            return True
        given = at.args[0].value if at is not None and at.args else None
        if isinstance(given, cst.Name) and _LABEL_IDS.fullmatch(given.value) is not None:
            return True
        # a table of counted things (`n_stations`, `num_speakers`), not of tokens, looked up with ids
        # not named as a sequence (`station`, not `item_seq` / `tokens`): one row per sample
        return table is not None and _ENTITY_TABLE.search(self.model.code(table)) is not None \
            and not _TOKEN_TABLE.search(self.model.code(table)) \
            and isinstance(given, cst.Name) and not _SEQUENCE_IDS.search(given.value)

    def _apply_layer(self, layer: LayerValue, t: Tensor, at: cst.Call | None = None) -> Any:
        spec = layer.spec
        node = layer.node
        if not spec.is_batchnorm and not (spec.out_width == SAME and spec.transparent):
            self._escape(t)
        if spec.is_batchnorm:
            seen = self.observations.setdefault(node, [])
            obs = Observation(layer, t, at, self._applied[0] if self._applied else None)
            # (at most 16 per BatchNorm from call sites; the standalone ones, which BN204 reads, always)
            if (len(seen) < 16 or (layer.site is None and t.producer is not None and t.producer.site is None)) \
                    and obs not in seen:
                seen.append(obs)
            # (an unknown rank stays unknown: assuming the variant's rank would make one wrong
            # BatchNorm, itself a finding, report the layers after it too)
            width = layer.value(spec.in_width)
            return make_tensor(t.rank, {1: width if is_width(width) else t.size(1)}, 1, layer, True, node)
        kind = spec.kind
        if kind == "conv":
            takes = spec.batched_rank if spec.out_rank == SAME or not spec.in_ranks else spec.in_ranks[0]
            if t.rank is not None and t.rank != takes:
                return Tensor()  # unbatched input, or a wrong rank this conv would reject: the conv is the problem
            return make_tensor(spec.batched_rank, {1: layer.out_width}, 1, layer, True, node)
        if kind in ("linear", "graph"):
            if t.rank is not None:
                sizes = {a: w for a, w in t.sizes if a < t.rank - 1}
                sizes[t.rank - 1] = layer.out_width
                return make_tensor(t.rank, sizes, t.rank - 1, layer, True, node)
            return make_tensor(None, {-1: layer.out_width}, -1, layer, True, node)
        if kind == "embedding":
            rank = t.rank + 1 if t.rank is not None else None if self._label_embedding(layer, at) else spec.batched_rank
            return make_tensor(rank, {-1: layer.out_width}, -1, layer, False, node)
        if kind in ("rnn", "transformer") and spec.layout_param:
            if layer.value(spec.layout_param) is True:
                note_consumer(self, layer, t, at)
                out = make_tensor(3, {2: layer.out_width}, 2, layer, False, node)
            else:
                out = Tensor()
            return (out, UNKNOWN) if kind == "rnn" else out
        if kind == "transformer" and spec.name in ("TransformerEncoder", "TransformerDecoder"):
            inner = layer.value(spec.params[0])  # a stack of its layer: the layer's layout
            if isinstance(inner, LayerValue) and inner.spec.layout_param and inner.value(inner.spec.layout_param) is True:
                note_consumer(self, inner, t, at)
                return make_tensor(3, {2: inner.out_width}, 2, inner, False, node)
            return make_tensor(t.rank, {}, None, None, False, node)
        if kind == "attention":
            return (Tensor(), UNKNOWN)
        if spec.name == "Flatten":
            start, end = layer.value("start_dim"), layer.value("end_dim")
            return _flatten(t, start, end, node)
        if spec.out_width == SAME:
            rank = t.rank if t.rank is not None else spec.batched_rank
            width = layer.value(spec.in_width) if spec.in_width not in (None, SAME) else UNKNOWN
            if is_width(width) and spec.features:
                axis = 1 if spec.features == "first" else -1
                return make_tensor(rank, {axis: width}, axis, layer, False, node)
            return make_tensor(rank, dict(t.sizes), t.feat, t.producer, t.direct and spec.transparent, t.origin)
        return make_tensor(t.rank if spec.out_rank == SAME else None, {}, None, None, False, node)

    # ------------------------------------------------------------- torch functions and tensor methods
    def _torch_function(self, qn: str, call: cst.Call, frame: Frame) -> Any:
        if qn in SAME_SHAPE_FUNCTIONS:
            args, _, _ = self._args(call, frame)
            first = args[0] if args else UNKNOWN
            return (first if isinstance(first, Tensor) else Tensor()).step()
        if qn in ("torch.cat", "torch.concat", "torch.concatenate"):
            args, kwargs, lost = self._args(call, frame)
            parts = _concrete_items(args[0]) if args else None
            dim = args[1] if len(args) > 1 else kwargs.get("dim", kwargs.get("axis", 0))
            return _concat(parts, dim, call)
        if qn == "torch.utils.checkpoint.checkpoint":  # checkpoint(fn, *args): fn(*args), its activations recomputed
            args, _, lost = self._args(call, frame)
            if args and isinstance(args[0], FuncRef) and not lost:
                return self._call_local(args[0], args[1:], {}, frame, call, False)
            return UNKNOWN
        if qn == "functools.partial":
            args, kwargs, lost = self._args(call, frame)
            if args and isinstance(args[0], LayerClass) and len(args) == 1 and not lost:
                return LayerClass(args[0].spec, args[0].preset + tuple(kwargs.items()))
            return UNKNOWN
        if qn in ("collections.OrderedDict", "typing.OrderedDict"):
            args, kwargs, lost = self._args(call, frame)
            items = _concrete_items(args[0]) if args else ()
            if lost or items is None or kwargs and args:
                return UNKNOWN
            out = {}
            for item in items:
                if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                    return UNKNOWN
                out[item[0]] = item[1]
            out.update(kwargs)
            return out
        if qn == "torch.nn.utils.rnn.pad_packed_sequence":  # (padded, lengths): the features stay last
            args, _, _ = self._args(call, frame)
            first = args[0] if args else UNKNOWN
            padded = first if isinstance(first, Tensor) and first.rank == 3 and first.feat == 2 else Tensor()
            return (padded, UNKNOWN)
        if qn in _REPARAMETRIZE:  # `weight_norm(nn.Linear(a, b))`: the same layer, its weight re-parametrized
            args, _, lost = self._args(call, frame)
            return args[0] if args and not lost else UNKNOWN
        if qn == "typing.cast":
            args, _, _ = self._args(call, frame)
            return args[1] if len(args) == 2 else UNKNOWN
        if qn in _TENSOR_FACTORIES:
            args, kwargs, lost = self._args(call, frame)
            shape = _concrete_items(args[0]) if len(args) == 1 and isinstance(args[0], tuple) else args
            shape = None if shape is None else [self._known_sizes(s) for s in shape]
            if lost or shape is None or not shape or not all(_numeric(s) for s in shape):
                return Tensor()
            return make_tensor(len(shape), dict(enumerate(shape)), None, None, False, call)
        if qn.startswith("torch.") and qn.count(".") == 1 and qn[6:] in _TENSOR_METHODS:
            args, kwargs, lost = self._args(call, frame)
            first = args[0] if args else UNKNOWN
            rest = cst.Call(call.func, call.args[1:])
            return self._tensor_method(qn[6:], first if isinstance(first, Tensor) else Tensor(), rest, frame)
        known = shape_sources.torch_call(self, qn, call, frame)
        return _NOT_HANDLED if known is shape_sources.NOT_HANDLED else known

    def _tensor_method(self, name: str, t: Tensor, call: cst.Call, frame: Frame) -> Any:
        args, kwargs, lost = self._args(call, frame)
        if lost:
            return Tensor()
        if name in TRANSPARENT_METHODS:
            return t
        if name in SAME_SHAPE_METHODS:
            return t.step()
        if name in ("view", "reshape"):
            shape = list(args)
            if len(args) == 1 and isinstance(args[0], tuple):
                shape = list(args[0])
            if not shape or kwargs:
                return Tensor()
            feat = self._feature_axis(shape)
            shape = [self._known_sizes(s) for s in shape]
            sizes = {i: s for i, s in enumerate(shape) if is_width(s) and not (isinstance(s, int) and s < 0)}
            return make_tensor(len(shape), sizes, feat, t.producer if feat is not None else None, False, call)
        if name in ("flatten",):
            start = args[0] if args else kwargs.get("start_dim", 0)
            end = args[1] if len(args) > 1 else kwargs.get("end_dim", -1)
            return _flatten(t, start, end, call)
        if name == "permute":
            dims = list(args[0]) if len(args) == 1 and isinstance(args[0], tuple) else list(args)
            if not dims or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
                return Tensor()
            rank = len(dims)
            if t.rank is not None and t.rank != rank:
                return Tensor()
            src = t if t.rank is not None else _with_rank(t, rank)
            sizes = {i: src.size(d) for i, d in enumerate(dims)}
            feat = dims.index(src.feat % rank) if src.feat is not None and src.feat % rank in [d % rank for d in dims] else None
            if feat is None and src.feat is not None:
                feat = [d % rank for d in dims].index(src.feat % rank) if src.feat % rank in [d % rank for d in dims] else None
            return make_tensor(rank, sizes, feat, t.producer, False, call)
        if name in ("transpose", "swapaxes", "swapdims"):
            if len(args) != 2 or not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
                return Tensor()
            a, b = args
            if t.rank is None:
                if {a, b} == {1, -1}:
                    swapped = {(-1 if x == 1 else 1): w for x, w in t.sizes}
                    feat = None if t.feat is None else (-1 if t.feat == 1 else 1 if t.feat == -1 else None)
                    return make_tensor(None, swapped, feat, t.producer, False, call)
                return Tensor()
            rank = t.rank
            if not (-rank <= a < rank and -rank <= b < rank):
                return Tensor()
            a, b = a % rank, b % rank
            swap = {a: b, b: a}
            sizes = {swap.get(x, x): w for x, w in t.sizes}
            feat = None if t.feat is None else swap.get(t.feat, t.feat)
            return make_tensor(rank, sizes, feat, t.producer, False, call)
        if name == "t":
            if t.rank == 2:
                return make_tensor(2, {1 - x: w for x, w in t.sizes}, None if t.feat is None else 1 - t.feat, t.producer, False, call)
            return Tensor()
        if name == "unsqueeze":
            if len(args) == 1 and isinstance(args[0], int) and t.rank is not None:
                d = args[0] % (t.rank + 1)
                sizes = {(x + 1 if x >= d else x): w for x, w in t.sizes}
                sizes[d] = 1
                feat = None if t.feat is None else (t.feat + 1 if t.feat >= d else t.feat)
                return make_tensor(t.rank + 1, sizes, feat, t.producer, False, call)
            return Tensor()
        if name == "squeeze":
            if len(args) == 1 and isinstance(args[0], int) and t.rank is not None and t.size(args[0]) == 1:
                d = args[0] % t.rank
                sizes = {(x - 1 if x > d else x): w for x, w in t.sizes if x != d}
                feat = None if t.feat is None or t.feat == d else (t.feat - 1 if t.feat > d else t.feat)
                return make_tensor(t.rank - 1, sizes, feat, t.producer, False, call)
            return Tensor()
        if name == "size" and len(args) == 1 and isinstance(args[0], int):
            return t.size(args[0])
        if name == "size" and not args and not kwargs:
            return self._shape_of(t)
        if name == "dim" and not args:
            return t.rank if t.rank is not None else UNKNOWN
        if name in _TENSOR_METHODS:
            return Tensor()
        return UNKNOWN


_NOT_HANDLED = object()
_TENSOR_METHODS = frozenset({
    "view", "reshape", "flatten", "permute", "transpose", "swapaxes", "swapdims", "t", "unsqueeze", "squeeze",
    "size", "dim", "mean", "sum", "max", "min", "amax", "contiguous", "float", "to", "relu", "sigmoid",
    "tanh", "clone", "detach", "half", "double", "type_as",
})
_TENSOR_FACTORIES = frozenset(f"torch.{n}" for n in ("randn", "rand", "zeros", "ones", "empty"))


# ------------------------------------------------------------------ helpers
def _is_self(node: cst.CSTNode | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "self"


def _is_name(node: cst.CSTNode, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _is_static(node: cst.FunctionDef) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators)


_IMPORTING: set[tuple[str, str]] = set()  # imported constants being evaluated (import cycles)


def _pretrained_embedding(model: "FileModel", func: cst.BaseExpression, scope: "Scope | None") -> LayerSpec | None:
    """The Embedding class of ``nn.Embedding.from_pretrained`` (a classmethod that builds one)."""
    if not (isinstance(func, cst.Attribute) and func.attr.value == "from_pretrained"):
        return None
    found = model.layer_class(func.value, scope)
    return found[0] if found is not None and found[0].name in ("Embedding", "EmbeddingBag") else None


# libcst class names (libcst is imported on first use: lazy.py)
_TARGET_HOLDERS = frozenset({"AssignTarget", "AnnAssign", "AugAssign", "For", "CompFor", "NamedExpr"})


def _havoc_plan(node: cst.CSTNode) -> list[tuple[str, str]]:
    """What ``node`` may change, in source order, worked out once per node: ("receiver", name) for
    ``name.method(...)``, ("self_call", "") for ``self.method(...)``, ("name", name) for each name in
    an assignment target, ("self_attr", attr) for ``self.attr = ...``."""
    plan: list[tuple[str, str]] = []
    for sub in walk(node):
        kind = type(sub)
        if kind is cst.Call:
            func = sub.func  # type: ignore[attr-defined]
            if type(func) is cst.Attribute:
                receiver = func.value
                if type(receiver) is cst.Name:
                    plan.append(("receiver", receiver.value))
                if _is_self(receiver):
                    plan.append(("self_call", ""))
                elif type(receiver) is cst.Attribute and _is_self(receiver.value):
                    plan.append(("self_receiver", receiver.attr.value))
            continue
        if kind.__name__ not in _TARGET_HOLDERS:
            continue
        target = sub.target  # type: ignore[attr-defined]
        attr = getattr(target, "attr", None)
        for name_node in walk(target):
            if type(name_node) is cst.Name and name_node is not attr:
                plan.append(("name", name_node.value))
        if type(target) is cst.Attribute and _is_self(target.value):
            plan.append(("self_attr", target.attr.value))
    return plan


_EVALUATORS: dict[str, Any] = {  # by libcst class name (libcst is imported on first use: lazy.py)
    "Integer": ChainAnalysis._eval_number,
    "Float": ChainAnalysis._eval_number,
    "Name": ChainAnalysis._eval_name,
    "SimpleString": ChainAnalysis._eval_string,
    "ConcatenatedString": ChainAnalysis._eval_string,
    "Attribute": ChainAnalysis._attribute,
    "Call": ChainAnalysis._call,
    "BinaryOperation": ChainAnalysis._eval_binary,
    "UnaryOperation": ChainAnalysis._eval_unary,
    "BooleanOperation": ChainAnalysis._eval_boolean,
    "Comparison": ChainAnalysis._compare,
    "IfExp": ChainAnalysis._eval_ifexp,
    "List": ChainAnalysis._eval_sequence,
    "Tuple": ChainAnalysis._eval_sequence,
    "Dict": ChainAnalysis._eval_dict,
    "Subscript": ChainAnalysis._subscript,
    "ListComp": ChainAnalysis._eval_comprehension,
    "GeneratorExp": ChainAnalysis._eval_comprehension,
    "SetComp": ChainAnalysis._eval_comprehension,
    "DictComp": ChainAnalysis._eval_comprehension,
    "Lambda": ChainAnalysis._eval_lambda,
}


def analyse(model: "FileModel") -> ChainAnalysis:
    """Run the chain analysis over one file."""
    return ChainAnalysis(model).run()
