"""Statements for the chain interpreter (see :mod:`.chains`): blocks in order, branches forked
and joined, loops unrolled over known items or run once from a havocked state, assignments to
names, ``self`` attributes and unpacked targets, and the join of two values."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import libcst as cst

from bn_lint.semantic.shapes.frame import _MAX_UNROLL, Frame, _is_self
from bn_lint.semantic.shapes.values import (
    GAP, Chain, ClassRef, Each, FuncRef, LayerClass, LayerValue, ProjModule, SelfState, Tensor,
    _concrete_items, any_item, _is_module, _jumps, _merge_tensor, _open, _open_loop, _truth,
)
from bn_lint.semantic.knowledge.layer_spec import SAME
from bn_lint.semantic.syntax.constants import UNKNOWN, Sym
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.shapes.producers import ChainAnalysis


def _forget(frame: Frame, plan: list[tuple[str, str]], loop: bool) -> None:
    """Forget in ``frame`` what a havoc plan names (:func:`_havoc_plan`)."""
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


class ChainStatements:
    """Runs statements on a :class:`~.frame.Frame`; a part of :class:`~.producers.ChainAnalysis`."""

    def __init__(self, chain: "ChainAnalysis") -> None:
        self.chain = chain
        self._havoc_plans: dict[cst.CSTNode, list[tuple[str, str]]] = {}

    def block(self, frame: Frame, body: Iterable[cst.CSTNode]) -> None:
        for stmt in body:
            if frame.dead:
                return
            self._stmt(frame, stmt)

    def _stmt(self, frame: Frame, stmt: cst.CSTNode) -> None:
        self.chain._tick()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if frame.dead:
                    return
                self._small(frame, small)
        elif isinstance(stmt, cst.BaseSmallStatement):  # the body of `if bn: layers.append(bn_layer)`
            self._small(frame, stmt)
        elif isinstance(stmt, cst.If):
            self._if(frame, stmt)
        elif isinstance(stmt, cst.For):
            self._for(frame, stmt)
        elif isinstance(stmt, cst.While):
            self._loop(frame, stmt, None)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                self.chain.expressions.evaluate(item.item, frame)
                if item.asname is not None:
                    self.assign(frame, item.asname.name, UNKNOWN)
            self.block(frame, stmt.body.body)
        elif isinstance(stmt, cst.Try):
            before = frame.fork()
            self.block(frame, stmt.body.body)
            for handler in stmt.handlers:
                branch = before.fork()
                if handler.name is not None:
                    self.assign(branch, handler.name.name, UNKNOWN)
                self.block(branch, handler.body.body)
                self._join(frame, branch)
            if stmt.orelse is not None:
                self.block(frame, stmt.orelse.body.body)
            if stmt.finalbody is not None:
                self.block(frame, stmt.finalbody.body.body)
        elif isinstance(stmt, cst.Match):  # each case from the state before it; no case may match
            self.chain.expressions.evaluate(stmt.subject, frame)
            before = frame.fork()
            for case in stmt.cases:
                branch = before.fork()
                self._havoc(branch, case.pattern)  # (the names a pattern captures)
                self.block(branch, case.body.body)
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
            value = self.chain.expressions.evaluate(small.value, frame)
            for target in small.targets:
                self.assign(frame, target.target, value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.assign(frame, small.target, self.chain.expressions.evaluate(small.value, frame))
        elif isinstance(small, cst.AugAssign):
            current = self.chain.expressions.evaluate(small.target, frame)
            value = self.chain.expressions.evaluate(small.value, frame)
            self.assign(frame, small.target, self.chain.expressions.binop(small.operator, current, value, frame, small))
        elif isinstance(small, cst.Expr):
            self.chain.expressions.evaluate(small.value, frame)
        elif isinstance(small, cst.Return):
            frame.returns.append(self.chain.expressions.evaluate(small.value, frame) if small.value is not None else None)
            frame.dead = True
        elif isinstance(small, (cst.Raise, cst.Break, cst.Continue)):
            frame.dead = True
        elif isinstance(small, cst.Del):
            self._havoc(frame, small)
            for node in walk(small.target):
                if isinstance(node, cst.Name):
                    frame.locals[node.value] = UNKNOWN

    def _if(self, frame: Frame, stmt: cst.If) -> None:
        truth = _truth(self.chain.expressions.evaluate(stmt.test, frame))
        if truth is True:
            self.block(frame, stmt.body.body)
            return
        orelse = stmt.orelse
        if truth is False:
            if isinstance(orelse, cst.If):
                self._if(frame, orelse)
            elif orelse is not None:
                self.block(frame, orelse.body.body)
            return
        other = frame.fork()
        self.block(frame, stmt.body.body)
        if isinstance(orelse, cst.If):
            self._if(other, orelse)
        elif orelse is not None:
            self.block(other, orelse.body.body)
        self._join(frame, other)

    def _for(self, frame: Frame, stmt: cst.For) -> None:
        iterable = self.chain.expressions.evaluate(stmt.iter, frame)
        # (a string is its characters: `for t in mode` over a helper's `mode="CBR"`, a layer per letter)
        items = tuple(iterable) if isinstance(iterable, str) else _concrete_items(iterable)
        if items is not None and len(items) <= _MAX_UNROLL and not _jumps(stmt.body):
            for item in items:
                if frame.dead:
                    break
                self.assign(frame, stmt.target, item)
                self.block(frame, stmt.body.body)
            if stmt.orelse is not None:
                self.block(frame, stmt.orelse.body.body)
            return
        each = iterable.item if isinstance(iterable, Each) else \
            any_item(iterable) if isinstance(iterable, Chain) and not iterable.sequential else UNKNOWN
        self._loop(frame, stmt, stmt.target, each)

    def _loop(self, frame: Frame, stmt: cst.For | cst.While, target: cst.BaseExpression | None,
              each: Any = UNKNOWN) -> None:
        """One pass over the body from a state where everything the body changes is unknown (the loop
        variable too, unless every item is ``each``)."""
        if isinstance(stmt, cst.While):
            self.chain.expressions.evaluate(stmt.test, frame)
        self._havoc(frame, stmt.body, loop=True)
        body = frame.fork()
        body.dead = False
        if target is not None and each is not UNKNOWN:
            self.assign(body, target, each)
        elif target is not None:
            if isinstance(target, cst.Name):
                body.locals[target.value] = Sym.atom(f"{target.value}@{id(stmt)}")
            else:
                self.assign(body, target, UNKNOWN)
        self.block(body, stmt.body.body)
        if not body.dead:
            self._join(frame, body)
        self._havoc(frame, stmt.body, loop=True)
        if stmt.orelse is not None:
            self.block(frame, stmt.orelse.body.body)

    def _havoc(self, frame: Frame, node: cst.CSTNode, loop: bool = False) -> None:
        """Forget what ``node`` may change: assigned names, appended lists, self attributes."""
        plan = self._havoc_plans.get(node)
        if plan is None:
            plan = self._havoc_plans[node] = _havoc_plan(node)
        _forget(frame, plan, loop)

    def _join(self, frame: Frame, other: Frame) -> None:
        if other.dead:
            return
        if frame.dead:
            frame.locals, frame.self_state, frame.dead = other.locals, other.self_state, False
            return
        merged = {}
        for name in set(frame.locals) | set(other.locals):
            if name in frame.locals and name in other.locals:
                merged[name] = self.merge(frame.locals[name], other.locals[name])
            else:
                merged[name] = UNKNOWN
        frame.locals = merged
        a, b = frame.self_state, other.self_state
        if a is not None and b is not None:
            attrs = {}
            for name in set(a.attrs) | set(b.attrs):
                attrs[name] = self.merge(a.attrs.get(name, UNKNOWN), b.attrs.get(name, UNKNOWN))
            seq = self.merge(a.seq, b.seq) if a.seq is not None and b.seq is not None else a.seq
            frame.self_state = SelfState(a.info, attrs, seq if isinstance(seq, Chain) else _open(a.seq) if a.seq else None)

    def merge(self, a: Any, b: Any) -> Any:
        if a is b:
            return a
        out = self._merge_values(a, b)
        if out is not a:
            self.chain.expressions.escape(a)
        if out is not b:
            self.chain.expressions.escape(b)
        return out

    def _merge_values(self, a: Any, b: Any) -> Any:
        if type(a) is type(b) and not isinstance(a, (LayerValue, ProjModule)):
            try:
                if a == b:
                    return a
            except Exception:  # pragma: no cover - defensive
                return UNKNOWN
        for x, y in ((a, b), (b, a)):
            if isinstance(x, Sym) and x.atoms() <= self.chain.none_atoms and len(x.terms) == 1 and isinstance(y, (LayerClass, FuncRef, ClassRef)):
                return y  # `if norm_layer is None: norm_layer = nn.BatchNorm2d`
            if isinstance(x, LayerValue) and x.spec.is_batchnorm and isinstance(y, LayerValue) and y.spec.kind == "identity":
                # `nn.BatchNorm2d(c) if use_bn else nn.Identity()`: where the BatchNorm exists, its input is the
                # same; its shape checks hold, a bias before it is wasted only on some paths (no BN204)
                x.optional = True
                return x
        if isinstance(a, Chain) and isinstance(b, Chain):
            return _merge_chains(a, b)
        if isinstance(a, dict) and isinstance(b, dict):
            return _merge_dicts(a, b)
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            return _merge_tensor(a, b)
        return UNKNOWN

    def assign(self, frame: Frame, target: cst.BaseExpression, value: Any) -> None:
        if isinstance(target, cst.Name):
            if value is UNKNOWN:
                # an unknown value still equals itself: a fresh atom per assignment executed
                self.chain._serial += 1
                value = Sym.atom(f"{target.value}@{self.chain._serial}")
            frame.locals[target.value] = value
        elif isinstance(target, cst.Attribute):
            if _is_self(target.value) and frame.self_state is not None:
                state = frame.self_state
                state.attrs[target.attr.value] = value
                if state.seq is not None and _is_module(value):
                    state.seq = self.chain.layers.extend(state.seq, [value])
            else:  # `self.features.norm0 = nn.BatchNorm2d(64)`: a module set on an `nn.Sequential` is its next item
                self._set_on_sequential(frame, target, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            items = _concrete_items(value)
            if items is not None and len(items) == len(elements) and not any(isinstance(e, cst.StarredElement) for e in elements):
                for element, item in zip(elements, items):
                    self.assign(frame, element.value, item)
            else:
                for element in elements:
                    self.assign(frame, element.value, UNKNOWN)
        elif isinstance(target, cst.StarredElement):
            self.assign(frame, target.value, UNKNOWN)
        elif isinstance(target, cst.Subscript):
            base = target.value
            replaced = self._replace_item(frame, target, value)
            if isinstance(base, cst.Name) and base.value in frame.locals:
                frame.locals[base.value] = replaced
            elif replaced is not UNKNOWN and isinstance(base, cst.Attribute) and frame.self_state is not None:
                frame.self_state.attrs[base.attr.value] = replaced

    def _replace_item(self, frame: Frame, target: cst.Subscript, value: Any) -> Any:
        """``seq[i] = layer`` on an ``nn.Sequential`` of known items (or an instance of a subclass that
        keeps its forward): the sequence with item ``i``
        replaced, applied again (``stem[0] = nn.Conv3d(c, 64, 3)`` feeds ``stem[1]``); else UNKNOWN."""
        base = target.value
        if isinstance(base, cst.Name):
            current = frame.locals.get(base.value)
        elif isinstance(base, cst.Attribute) and _is_self(base.value) and frame.self_state is not None:
            current = frame.self_state.attrs.get(base.attr.value)
        else:
            return UNKNOWN
        index = self.chain.model.value(target.slice[0].slice.value, None) \
            if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index) else UNKNOWN
        if isinstance(current, dict):  # `kernel["bn"] = nn.BatchNorm3d(c)`: an (ordered) dict of layers, in order
            return {**current, index: value} if isinstance(index, str) else UNKNOWN
        holder = current if isinstance(current, ProjModule) and current.state.seq is not None \
            and self.chain._method(current.state.info, "forward") is None else None
        if holder is not None:  # an instance of an `nn.Sequential` subclass (a `BasicStem(...)`)
            current = holder.state.seq
        if not isinstance(current, Chain) or not current.sequential or current.module_list or GAP in current.items \
                or not _is_module(value) or not isinstance(index, int) or isinstance(index, bool) \
                or not -len(current.items) <= index < len(current.items):
            return UNKNOWN
        items = list(current.items)
        items[index] = value
        chain = self.chain.layers.extend(Chain((), Tensor(), True), items)
        if holder is None:
            return chain
        state = holder.state.copy()
        state.seq = chain
        return ProjModule(state)

    def _set_on_sequential(self, frame: Frame, target: cst.Attribute, value: Any) -> None:
        owner = target.value
        if isinstance(owner, cst.Attribute) and _is_self(owner.value) and frame.self_state is not None:
            holder, name = frame.self_state.attrs, owner.attr.value
        elif isinstance(owner, cst.Name):
            holder, name = frame.locals, owner.value
        else:
            return
        current = holder.get(name)
        if isinstance(current, Chain) and current.sequential and not current.module_list:
            holder[name] = self.chain.layers.extend(current, [value]) if _is_module(value) else _open(current)


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


def _merge_chains(a: Chain, b: Chain) -> Chain:
    """Two paths' chains: their common head, then a gap where they part; where one path only adds
    layers that keep their input's shape (``if bn: layers.append(nn.BatchNorm1d(c))``), its chain, those
    layers marked as absent on the other path."""
    common = 0
    while common < min(len(a.items), len(b.items)) and a.items[common] is b.items[common]:
        common += 1
    longer = a if len(a.items) > len(b.items) else b
    extra = longer.items[common:]
    # (not after a gap: there the other path's gap may hold them, a loop's body joined after it)
    if common == min(len(a.items), len(b.items)) and extra and (common == 0 or longer.items[common - 1] is not GAP) \
            and a.sequential == b.sequential and a.module_list == b.module_list \
            and all(_keeps_shape(item) for item in extra):
        for item in extra:
            item.absent_elsewhere = True  # (a bias before it is still wasted where it is added: BN204 holds)
        fills = None if GAP in longer.items and (a.fills is None or b.fills is None) else \
            tuple({id(f): f for f in (*(a.fills or ()), *(b.fills or ()))}.values())
        tail = a.tail if a.tail == b.tail else _merge_tensor(a.tail, b.tail)
        return Chain(longer.items, tail, longer.sequential, fills, longer.module_list)
    items = a.items[:common]
    if common < len(a.items) or common < len(b.items):
        items += (GAP,)
    tail = a.tail if a.tail == b.tail else _merge_tensor(a.tail, b.tail)
    return Chain(items, tail, a.sequential and b.sequential, _fills(a, b, common), a.module_list and b.module_list)


def _merge_dicts(a: dict, b: dict) -> Any:
    """Two paths' dicts of layers: where one path only adds layers that keep their input's shape
    (``if use_bn: kernel["bn"] = nn.BatchNorm3d(c)``), its dict, those layers marked as absent on the other."""
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    if [k for k in longer if k in shorter] != list(shorter) or any(longer[k] is not shorter[k] for k in shorter):
        return UNKNOWN
    extra = [longer[k] for k in longer if k not in shorter]
    if not all(_keeps_shape(item) for item in extra):
        return UNKNOWN
    for item in extra:
        item.absent_elsewhere = True
    return longer


# layers whose output has their input's shape (an absent one changes no shape after it)
_SHAPE_KEEPING_KINDS = frozenset({"batchnorm", "norm", "activation", "dropout", "identity"})


def _keeps_shape(item: Any) -> bool:
    return isinstance(item, LayerValue) and item.spec.kind in _SHAPE_KEEPING_KINDS \
        and item.spec.out_width == SAME and item.spec.out_rank == SAME


def _fills(a: Chain, b: Chain, common: int) -> tuple[Any, ...] | None:
    """What the gap of two chains joined after their ``common`` first items may hold: each one's own
    fills and the items after the common ones (a loop body's appends), if all known."""
    fills: list[Any] = []
    for chain in (a, b):
        rest = chain.items[common:]
        if GAP in rest and chain.fills is None:
            return None
        fills += [item for item in rest if item is not GAP] + list(chain.fills or ())
    return tuple({id(f): f for f in fills}.values())
