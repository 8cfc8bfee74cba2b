"""The flow's statement walker: blocks, ``if`` / ``with`` / ``try`` / ``match``, small statements."""
from __future__ import annotations

from typing import TYPE_CHECKING

import re

import libcst as cst

from bn_lint.semantic.syntax.walk import walk

from .conditions import _condition, _condition_name, constant_flag, name_guard
from .saved_modes import word_compared
from .keys import _unwrap_passthrough, key_of, key_root
from .state import EVAL, Fact, State, TRAIN, UNKNOWN_MODE, _ENTRY, _MIXED, _child_of, _join, _lookup, _set, _tracked

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from .flow import _Flow


class FlowStatements:
    """A part of the walk of one function (``flow.statements``): statements, walked with the state of the path."""

    def __init__(self, flow: "_Flow") -> None:
        self.flow = flow

    # ------------------------------------------------------------- statements
    def block(self, statements, state: State | None) -> State | None:
        for index, statement in enumerate(statements):
            if state is None:
                return None
            if isinstance(statement, cst.If) and self._tested_again(statement, statements[index + 1:]):
                return self._split(_condition(statement.test)[0], statements[index:], state)
            if isinstance(statement, (cst.For, cst.While)) and (key := self._invariant_test(statement)) is not None:
                return self._split(key, statements[index:], state)
            state = self.statement(statement, state)
        return state

    def _tested_again(self, node: cst.If, rest) -> bool:
        """Whether ``node``'s condition (a plain flag or ``name == literal``, not yet assumed) is tested
        again by an ``if`` in the statements that follow it."""
        condition = _condition(node.test)
        if condition is None or condition[0] in self.flow.assume or len(self.flow.assume) >= 3 or not rest:
            return False
        later = set(rest)
        for other in self.flow.a.condition_tests(self.flow.node).get(condition[0], ()):
            if other is not node and any(ancestor in later for ancestor in self.flow.model.ancestors(other)):
                return True
        return False

    def _invariant_test(self, loop: cst.CSTNode) -> str | None:
        """A condition (a plain flag or ``name == literal``, not yet assumed) that an ``if`` in ``loop`` tests on a
        name the loop never binds (``if mode == "train":`` on a parameter): every iteration takes the same arm, so
        the loop is walked once per outcome, not with one iteration's arm flowing into the next's other arm."""
        if len(self.flow.assume) >= 3:
            return None
        bound = None
        for key, tests in self.flow.a.condition_tests(self.flow.node).items():
            inside = [t for t in tests if any(a is loop for a in self.flow.model.ancestors(t))]
            # (only a test whose arms train or switch a mode: a phase of the loop, not `if output_attentions:`)
            if key in self.flow.assume or not any(_MODE_OR_STEP.search(self.flow.model.code(t)) for t in inside):
                continue
            bound = _names_bound_in(loop) if bound is None else bound
            if _condition_name(key) not in bound:
                return key
        return None

    def _split(self, key: str, statements, state: State) -> State | None:
        """The rest of a block, walked once per outcome of a condition it tests twice: the mode set under
        `if phase == 'train':` is the mode at the training step under the next `if phase == 'train':`."""
        outer = self.flow.assume
        ends = []
        for value in (True, False):
            self.flow.assume = {**outer, key: value}
            ends.append(self.block(statements, dict(state)))
        self.flow.assume = outer
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
                self.flow.calls.expression(decorator.decorator, state)
            return state
        if isinstance(node, cst.If):
            self.flow.calls.expression(node.test, state)
            decided = True if name_guard(node) else constant_flag(self.flow.model, node.test, self.flow.scope)
            if decided is not None:  # (`if LOAD_MODEL:` with `LOAD_MODEL = True`: the other branch is no path)
                if decided:
                    return self.block(node.body.body, state)
                if node.orelse is None:
                    return state
                return self.statement(node.orelse, state) if isinstance(node.orelse, cst.If) \
                    else self.block(node.orelse.body.body, state)
            condition = _condition(node.test)
            if condition is not None and condition[0] in self.flow.assume:
                if self.flow.assume[condition[0]] == condition[1]:
                    return self.block(node.body.body, state)
                if node.orelse is None:
                    return state
                if isinstance(node.orelse, cst.If):
                    return self.statement(node.orelse, state)
                return self.block(node.orelse.body.body, state)
            then_in, else_in = dict(state), dict(state)
            flag = _training_flag(node.test)  # `if model.training:` / `if not model.training:`
            if flag is not None and _tracked(state, flag[0]):
                key, training = flag
                kinds = {f.kind for f in _lookup(state, key) if f.kind is not None}
                kind = next(iter(kinds)) if len(kinds) == 1 else None
                # (the branch where the flag is False runs only in eval mode; the other keeps what the path shows)
                _set(else_in if training else then_in, key,
                     frozenset({Fact(EVAL, node.test, "flag", "its `training` flag tested at line {line}", kind)}))
            then = self.block(node.body.body, then_in)
            if node.orelse is None and flag is not None:
                other = else_in
            elif node.orelse is None:
                other = state
            elif isinstance(node.orelse, cst.If):
                other = self.statement(node.orelse, else_in)
            else:
                other = self.block(node.orelse.body.body, else_in)
            if flag is not None and _tracked(state, flag[0]):
                # (a test narrows, it changes nothing: a branch that left the flag's mode as it found it ends
                # with the mode the path brought)
                narrowed = (else_in if flag[1] else then_in).get(flag[0])
                for end in (then, other):
                    if end is not None and narrowed is not None and end.get(flag[0]) == narrowed:
                        _unnarrow(end, state, flag[0])
            joined = self._bound_join(node, state, (then, (node.body,)), (other, (node.orelse,)))
            restored = self._restored_by_flag(node.test, then, other)
            if restored is not None and joined is not None:
                _restore(joined, *restored)
            return joined
        if isinstance(node, (cst.For, cst.While)):
            return self.flow.loops.loop(node, state)
        if isinstance(node, cst.With):
            leaving, self.flow.leaving = self.flow.leaving, []
            for item in node.items:
                if isinstance(item.item, cst.Call):
                    self.flow.entering.add(item.item)
                self.flow.calls.expression(item.item, state)
                if item.asname is not None:
                    self.flow.assignments.assign(item.asname.name, None, state)
            entered, self.flow.leaving = self.flow.leaving, []
            end = self.block(node.body.body, state)
            stacked, self.flow.leaving = self.flow.leaving, leaving  # (what the body entered on an `ExitStack`)
            for call, (analysis, func), before in reversed(entered + stacked):  # the context managers' code after `yield`
                summary = analysis.summary(func)
                if end is not None and summary is not None:
                    effects = {key: _ENTRY for key in summary.at_yield} | summary.effects
                    self.flow.helper_calls.apply_effects(call, self.flow.helper_calls.bind_args(call, summary), effects, summary, analysis, end, before)
            return end
        if isinstance(node, cst.Try) or type(node).__name__ == "TryStar":
            start = dict(state)
            if node.finalbody is not None:
                self.flow.finally_bodies.append(node.finalbody.body.body)
            try:
                body = self.block(node.body.body, dict(state))
                handler_in = _join(start, body)
                ends = []
                for handler in node.handlers:
                    ends.append((self.block(handler.body.body, dict(handler_in) if handler_in is not None else None),
                                 (node.body, handler)))
                if node.orelse is not None:
                    body = self.block(node.orelse.body.body, body)
                ends.append((body, (node.body, node.orelse)))
            finally:
                if node.finalbody is not None:
                    self.flow.finally_bodies.pop()
            joined = self._bound_join(node, start, *ends)
            if node.finalbody is not None:
                base = joined if joined is not None else handler_in
                after = self.block(node.finalbody.body.body, dict(base) if base is not None else None)
                return after if joined is not None else None
            return joined
        if isinstance(node, cst.Match):
            self.flow.calls.expression(node.subject, state)
            joined = dict(state)
            for case in node.cases:
                joined = _join(joined, self.block(case.body.body, dict(state)))
            return joined
        # anything else: look at the calls inside
        self.flow.calls.expression(node, state)
        return state

    def _bound_join(self, node: cst.CSTNode, before: State, *paths) -> State | None:
        """The join of the paths through ``node`` (an ``if`` or a ``try``), each an end state and the code it
        ran: a plain name that no statement before ``node`` binds is unbound on a path whose code does not
        bind it, not a model of unknown mode (`if arch == 'a': model = A() elif arch == 'b': model = B()`,
        no else: the model is A's or B's)."""
        ends = [end for end, _code in paths if end is not None]
        joined = None
        for end in ends:
            joined = end if joined is None else _join(joined, end)
        if joined is None:
            return None
        for key in list(joined):
            root = key_root(key)
            if root in before or not self._unbound_before(root, node):
                continue
            bound = [_lookup(end, key) for end in ends if root in end]
            unbound = [code for end, code in paths if end is not None and root not in end]
            if not bound or not unbound:
                continue
            others = [value for code in unbound for part in code for value in self._bound_values(root, part)]
            if not others or key == root and all(isinstance(_unwrap_passthrough(value), cst.Call) for value in others):
                # (bound there to an object this flow does not follow, `new = load(ckpt)`: another object, a
                # path of its own, as a `torch.load` in its place is)
                joined[key] = frozenset().union(*bound, (Fact(UNKNOWN_MODE, value, "loaded") for value in others))
        return joined

    def _bound_values(self, name: str, code: cst.CSTNode | None) -> list[cst.BaseExpression]:
        """The values ``name`` is assigned inside ``code``."""
        return [] if code is None else [value for value in self.flow.scope.bindings.get(name, ())
                                        if any(a is code for a in self.flow.model.ancestors(value))]

    def _unbound_before(self, name: str, node: cst.CSTNode) -> bool:
        """Whether the flow's own scope binds ``name`` only by plain assignments, none before ``node`` on
        the way to it."""
        scope = self.flow.scope
        values = scope.bindings.get(name)
        if not values or name in scope.params or name in scope.opaque and not _loop_bound_after(self.flow.model, scope, name, node):
            return False
        start = self.flow.model.order(node)
        return start >= 0 and not any(0 <= self.flow.model.order(value) < start and not _other_branch(self.flow.model, value, node)
                                      for value in values)

    def small(self, node: cst.BaseSmallStatement, state: State) -> State | None:
        if isinstance(node, cst.Return):
            if node.value is not None:
                self.flow.calls.expression(node.value, state)
            self.flow.returned.append((node.value, dict(state)) if node.value is not None else None)
            if node.value is not None and (self.flow.frozen or self.flow.helper_frozen):
                self.flow.freezes.note_returned_freezes(node.value, state, self.flow.returned_freezes)
            for frozen in self.flow.applied_freezes.result_freezes(node.value):  # `return ResNet(...)`, whose `__init__` freezes parts
                if frozen not in self.flow.returned_freezes:
                    self.flow.returned_freezes.append(frozen)
            self.flow.freezes.note_returned_elements(node.value, state)
            leaving: State | None = dict(state)
            for final in reversed(self.flow.finally_bodies):  # `try: return f(model) finally: model.train(was)`
                leaving = self.block(final, leaving) if leaving is not None else None
            if leaving is not None:
                self.flow.exits.append(leaving)
            return None
        if isinstance(node, cst.Raise):
            return None
        if isinstance(node, cst.Break):
            if self.flow.breaks:
                self.flow.breaks[-1].append(dict(state))
            return None
        if isinstance(node, cst.Continue):
            if self.flow.continues:
                self.flow.continues[-1].append(dict(state))
            return None
        if isinstance(node, cst.Assign):
            self.flow.calls.expression(node.value, state)
            for target in node.targets:
                self.flow.assignments.assign(target.target, node.value, state)
            return state
        if isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.flow.calls.expression(node.value, state)
                self.flow.assignments.assign(node.target, node.value, state)
            return state
        if isinstance(node, cst.AugAssign):
            self.flow.calls.expression(node.value, state)
            self.flow.assignments.assign(node.target, None, state)
            return state
        if isinstance(node, cst.Expr):
            self.flow.calls.expression(node.value, state)
            value = node.value
            if isinstance(value, cst.Attribute) and value.attr.value in ("eval", "train"):
                self.mode_meant(value, value.value, state)  # `model.eval` without the call: BN102's finding
            return state
        if isinstance(node, cst.Del):
            return state
        self.flow.calls.expression(node, state)
        return state

    def mode_meant(self, node: cst.CSTNode, receiver: cst.BaseExpression, state: State) -> None:
        """A mode change that does not happen (``model.eval`` uncalled, ``model.training = False``).

        BN102 reports it. The mode stays what it was, as in Python: the evaluation after it runs in
        training mode (BN101 reports the first one, see ``first_after_slip``), an export exports it so.
        """
        key = key_of(receiver)
        if key is not None and _tracked(state, key):
            self.flow.a.slips.append((node, key, self.flow.scope))
            seen = self.flow.a.slip_modes.get(node)
            self.flow.a.slip_modes[node] = _lookup(state, key) | (seen or frozenset())

    def _restored_by_flag(self, test: cst.BaseExpression, then: State | None, other: State | None):
        """``was = m.training ... if was: m.train()`` (else ``m.eval()``): (m, the mode saved in ``was``)."""
        negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
        flag = key_of(test.expression if negated else test)  # type: ignore[attr-defined]
        compared = word_compared(test, self.flow.flag_words)
        if compared is not None:  # (`if mode == "train": m.train()`, the mode saved as a word)
            flag, negated = compared
        if flag not in self.flow.flags or then is None or other is None:
            return None
        key, saved = self.flow.flags[flag]
        trained, evaluated = (other, then) if negated else (then, other)
        if {f.mode for f in _lookup(trained, key)} == {TRAIN} and {f.mode for f in _lookup(evaluated, key)} == {EVAL}:
            return key, saved, trained, evaluated
        return None


def _other_branch(model: "FileModel", value: cst.CSTNode, node: cst.CSTNode) -> bool:
    """Whether ``value`` is in the body of an ``if`` whose ``elif`` / ``else`` holds ``node``."""
    around = {id(a) for a in model.ancestors(node)}
    child = value
    for ancestor in model.ancestors(value):
        if id(ancestor) in around:
            return isinstance(ancestor, cst.If) and child is ancestor.body
        child = ancestor
    return False


def _restore(joined: State, key: str, saved: frozenset, trained: State, evaluated: State) -> None:
    """``if was_training: m.train()`` after ``was_training = m.training``: ``m`` in the mode saved. Restoring the
    flag puts the parts in what the branch taken leaves them in (``m.train()`` resets a part frozen in eval: all of
    ``m`` trains), not back in their own saved modes; a saved mode neither train nor eval restores it as saved."""
    modes = {f.mode for f in saved - {_MIXED}}  # (a part's own mode set apart does not change the flag)
    if not modes or not modes <= {TRAIN, EVAL}:
        _set(joined, key, saved)
        return
    for part in {k for branch in (trained, evaluated) for k in branch if k == key or _child_of(k, key)}:
        joined[part] = (_lookup(trained, part) if TRAIN in modes else frozenset()) \
            | (_lookup(evaluated, part) if EVAL in modes else frozenset())


def _training_flag(test: cst.BaseExpression) -> tuple[str, bool] | None:
    """``model.training`` -> ("model", True); ``not model.training`` -> ("model", False); else None."""
    negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
    inner = test.expression if negated else test
    if isinstance(inner, cst.Attribute) and inner.attr.value == "training":
        key = key_of(inner.value)
        if key is not None:
            return key, not negated
    return None


def _loop_bound_after(model, scope, name: str, node: cst.CSTNode) -> bool:
    """Whether ``name``, bound in ``scope`` by more than plain assignments, is so bound only as the variable of
    ``for`` loops that start after ``node`` (``for model in models:`` later in a script: no binding before it)."""
    body = scope.node if scope.node is not None else model.module
    loops = [loop for loop in model.nodes_of(body, cst.For) if model.scope_of(loop) is scope
             and isinstance(loop.target, cst.Name) and loop.target.value == name]
    if not loops or any(model.order(loop) < model.order(node) for loop in loops):
        return False
    others = [target for kind in (cst.AugAssign, cst.WithItem, cst.For, cst.Assign) for found in model.nodes_of(body, kind)
              if model.scope_of(found) is scope for target in _bound_names(found) if target == name]
    return len(others) == len(loops)  # (the loops' own targets, and no other binding that is not plain)


def _bound_names(node: cst.CSTNode) -> list[str]:
    """The plain names ``node`` binds by more than a plain assignment of one name (its loop variable, ``with``
    target, augmented or unpacking target)."""
    if isinstance(node, cst.Assign):
        targets = [t.target for t in node.targets if not isinstance(t.target, cst.Name)]
    elif isinstance(node, cst.WithItem):
        targets = [node.asname.name] if node.asname is not None else []
    else:
        targets = [node.target]
    names: list[str] = []
    while targets:
        target = targets.pop()
        if isinstance(target, cst.Name):
            names.append(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            targets.extend(element.value for element in target.elements)
        elif isinstance(target, cst.StarredElement):
            targets.append(target.value)
    return names


_MODE_OR_STEP = re.compile(r"\.(backward|step|train|eval)\(")


def _names_bound_in(code: cst.CSTNode) -> set[str]:
    """The names (and ``self.attr`` paths) that ``code`` binds: assignment, loop and ``with`` targets, walrus."""
    bound: set[str] = set()
    targets = []
    for node in walk(code):
        if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor)):
            targets.append(node.target)
        elif isinstance(node, (cst.AsName, cst.NamedExpr)):
            targets.append(node.name if isinstance(node, cst.AsName) else node.target)
    for target in targets:
        for part in _target_parts(target):
            if isinstance(part, cst.Name):
                bound.add(part.value)
            elif isinstance(part, cst.Attribute) and isinstance(part.value, cst.Name) and part.value.value == "self":
                bound.add(f"self.{part.attr.value}")
    return bound


def _target_parts(target: cst.CSTNode):
    """The nodes of an assignment target that it binds, with their bases: ``metrics[f"{split}_cm"] += x`` binds
    (an item of) ``metrics``, not the ``split`` its key reads; ``a.b = x`` binds ``a.b`` (read through ``a``)."""
    if isinstance(target, cst.Subscript):
        yield from _target_parts(target.value)
    elif isinstance(target, cst.Attribute):
        yield target
        yield from _target_parts(target.value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_parts(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_parts(target.value)
    else:
        yield from walk(target)


def _unnarrow(end: State, before: State, key: str) -> None:
    """``end`` with ``key`` (and the parts and holders that narrowing it touched) as ``before`` had them: a key
    that had no facts of its own (``self.model`` read through ``self`` in a method) has none again, not the
    narrowed eval mode, which is no mode any statement set."""
    for other in [k for k in end if k == key or _child_of(k, key) or _child_of(key, k)]:
        if other in before:
            end[other] = before[other]
        else:
            del end[other]
