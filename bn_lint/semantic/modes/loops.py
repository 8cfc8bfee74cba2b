"""The flow's loops: fixpoint over iterations, unrolled literal loops, loops over modules and parameters."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.batching.sizes import SizeResolution
from bn_lint.semantic.file.classes import enclosing_class
from bn_lint.semantic.knowledge.module_names import named_as_module
from bn_lint.semantic.nn_modules.unregistered import unregistered_attribute
from bn_lint.semantic.syntax.module_walks import walked_call
from bn_lint.semantic.syntax.walk import walk
from .list_entries import listed_items
from .keys import ANY_ENTRY, _getattr_of, computed_lookup, key_expression, key_of, key_parent, subscript_key
from .state import EVAL, Fact, State, _UNKNOWN, _child_of, _join, _lookup, _tracked

if TYPE_CHECKING:  # pragma: no cover
    from .flow import _Flow


class FlowLoops:
    """A part of the walk of one function (``flow.loops``): loops."""

    def __init__(self, flow: "_Flow") -> None:
        self.flow = flow

    def loop(self, node: cst.For | cst.While, state: State) -> State | None:
        if self._over_named_modules(node, state):
            return self._unrolled(node, state)
        if self._over_part_names(node, state):
            return self._unrolled_names(node, state)
        entries = self._entries_iterated(node, state)
        if entries:
            return self._unrolled_entries(node, entries, state)
        if isinstance(node, cst.For):
            self.flow.calls.expression(node.iter, state)
        else:
            self.flow.calls.expression(node.test, state)
        head = dict(state)
        generated = isinstance(node, cst.For) and self._project_generator(node.iter)
        breaks: list[State] = []
        backs: State | None = None  # the states at the end of an iteration
        for _ in range(4):
            self.flow.breaks.append([])
            self.flow.continues.append([])
            body_state = dict(head)
            if generated:  # (the generator's body runs again before each item: `for x, y in batches(student, d):`)
                self.flow.calls.expression(node.iter, body_state)
            if isinstance(node, cst.For):
                self.flow.assignments.assign(node.target, None, body_state)
                self._parameter_loop(node)
                self._element_bound(node, body_state)
                self.flow.callbacks.note_callable_items(node)
            end = self.flow.statements.block(node.body.body, body_state)
            breaks = self.flow.breaks.pop()
            continues = self.flow.continues.pop()
            back = end
            for c in continues:
                back = c if back is None else _join(back, c)
            backs = back if backs is None else (_join(backs, back) if back is not None else backs)
            new_head = _join(head, back) if back is not None else head
            if new_head == head:
                break
            head = new_head
        # `for epoch in range(args.epochs)` with a default of 10, or a loop that trains (`for x, y in loader:
        # ... optimizer.step()`): the body runs, there is no path around it (a training loop run zero times is
        # no path the code means)
        exit_state = backs if backs is not None and (self._runs_once(node) or self.flow.a.steps.trains(node, direct=True)) \
            else head
        if node.orelse is not None:
            exit_state = self.flow.statements.block(node.orelse.body.body, dict(head))
        for b in breaks:
            exit_state = b if exit_state is None else _join(exit_state, b)
        return exit_state

    def _element_bound(self, node: cst.For, state: State) -> None:
        """``for net in self.nets:`` (or ``enumerate(self.nets)``): the variable names any element of the collection,
        ``self.nets[*]``, one module under two names for the body (``net.train()`` puts every element in training
        mode; ``net(x)`` runs one in the mode the elements are in)."""
        iterable, target = _enumerated(node.iter, node.target)
        owner = key_of(iterable) if isinstance(target, cst.Name) and isinstance(iterable, (cst.Name, cst.Attribute)) \
            else None
        if owner is None or ANY_ENTRY in owner or owner in self.flow.params \
                or target.value in self.flow.part_vars and _tracked(state, owner) and not self._held_by_plain_object(owner):
            return  # (a parameter's elements: the caller knows which modules, `element_vars`; a followed module's
            # blocks, `part_vars`)
        entry = owner + ANY_ENTRY
        if _tracked(state, entry):
            state[target.value] = _lookup(state, entry)
        if (target.value, entry) not in self.flow.aliases:
            self.flow.aliases.append((target.value, entry))

    def _held_by_plain_object(self, key: str) -> bool:
        """``self.nets`` in a method of a class that is no module (a trainer's list of networks, not a block), or a
        plain list or dict of a module class, not one of its registered parts (``nn_modules/unregistered``)."""
        info = enclosing_class(self.flow.model, self.flow.scope) if key.startswith("self.") else None
        return info is not None and (not self.flow.model.is_nn_module_class(info) or key.count(".") == 1
                                     and unregistered_attribute(self.flow.model, info, key.split(".")[1]))

    def element_entry(self, func: cst.BaseExpression, key: str, state: State) -> bool:
        """``cfg["base_model"](x)`` / ``member.net(x)`` with ``cfg`` the variable of a loop over a collection
        (``for cfg in self.members:``): a model each element holds, under a name that says it is a network."""
        return _element_entry(self.flow.aliases, func, key, state)

    def _project_generator(self, iterated: cst.BaseExpression) -> bool:
        """Whether ``iterated`` calls a project generator function (``batches(student, data)``, whose ``yield`` makes
        each item): its body runs a step before each iteration, not once before the loop."""
        target = self.flow.a.callees.callee(iterated) if isinstance(iterated, cst.Call) else None
        summary = target[0].summary(target[1]) if target is not None else None
        return summary is not None and summary.generator

    def _over_named_modules(self, node: cst.For | cst.While, state: State) -> bool:
        """``for m in (stem, block, head): m.eval()``: a loop over a literal sequence of followed modules, or over
        a local list of them the code shows whole (``nets = []; nets.append(net)``), with no jump out of its body."""
        if not (isinstance(node, cst.For) and isinstance(node.target, cst.Name) and node.orelse is None):
            return False
        items = self._iterated_items(node)
        if not 0 < len(items) <= 8:
            return False
        for item in items:
            key = key_of(item) if isinstance(item, (cst.Name, cst.Attribute)) else None
            if key is None or not _tracked(state, key):
                return False
        return not self.flow.model.nodes_of(node.body, cst.Break, cst.Continue, cst.Return, cst.Yield)

    def _iterated_items(self, node: cst.For) -> list[cst.BaseExpression]:
        """What ``node`` iterates over, item by item: a literal sequence's elements, or a local list's
        (``list_entries.listed_items``: those added before the loop); none where that is not known."""
        if isinstance(node.iter, (cst.Tuple, cst.List)):
            return [element.value for element in node.iter.elements]
        listed = listed_items(self.flow.model, node.iter.value, self.flow.model.scope_of(node)) \
            if isinstance(node.iter, cst.Name) else None
        order = self.flow.model.order(node)
        if listed is None or any(self.flow.model.order(where) > order for _, where in listed):
            return []
        return [item for item, _ in listed]

    def _unrolled(self, node: cst.For, state: State) -> State | None:
        """The loop run once per module, its variable naming each in turn (as ``m = stem`` would)."""
        current: State | None = state
        for item in self._iterated_items(node):
            if current is None:
                return None
            self.flow.assignments.assign(node.target, item, current)
            current = self.flow.statements.block(node.body.body, current)
        return current

    def _entries_iterated(self, node: cst.For | cst.While, state: State) -> list[str]:
        """``for name, net in nets.items():`` / ``for net in nets.values():`` over a dict whose entries under
        constant keys are followed (``nets['student']``), with no jump out of its body: those entries."""
        if not (isinstance(node, cst.For) and node.orelse is None and isinstance(node.iter, cst.Call)
                and not node.iter.args and isinstance(node.iter.func, cst.Attribute)
                and node.iter.func.attr.value in ("values", "items")):
            return []
        pair = node.iter.func.attr.value == "items"
        if not (isinstance(node.target, cst.Tuple) and len(node.target.elements) == 2 if pair
                else isinstance(node.target, cst.Name)):
            return []
        owner = key_of(node.iter.func.value)
        if owner is None or self.flow.model.nodes_of(node.body, cst.Break, cst.Continue, cst.Return, cst.Yield):
            return []
        followed = [key for key in state if key.startswith(owner + "[") and key_parent(key) == owner][:16]
        return followed or [owner + entry for entry in self._literal_entries(node.iter.func.value, node)]

    def _literal_entries(self, owner: cst.BaseExpression, node: cst.For) -> list[str]:
        """``['feat', 'classifier']`` for a dict that every binding of ``owner`` (a local name, or ``self.x``
        of this class) writes as a literal with constant keys: its entries before any is followed (a method
        run for its summary)."""
        scope = self.flow.model.scope_of(node)
        if isinstance(owner, cst.Name):
            values = [] if scope is None or owner.value in scope.opaque else scope.bindings.get(owner.value, [])
        elif isinstance(owner, cst.Attribute) and isinstance(owner.value, cst.Name) and owner.value.value == "self":
            info = enclosing_class(self.flow.model, scope)
            values = [value for value, _ in info.attributes.get(owner.attr.value, [])] if info is not None else []
        else:
            return []
        if not values or not all(isinstance(value, cst.Dict) for value in values):
            return []
        keys = [subscript_key(cst.Subscript(owner, [cst.SubscriptElement(cst.Index(element.key))]))
                if isinstance(element, cst.DictElement) else None for value in values for element in value.elements]
        return list(dict.fromkeys(keys))[:16] if keys and all(keys) else []

    def _unrolled_entries(self, node: cst.For, entries: list[str], state: State) -> State | None:
        """The loop run once per entry, its variable naming each in turn (as ``net = nets['student']`` would)."""
        current: State | None = state
        target = node.target.elements[1].value if isinstance(node.target, cst.Tuple) else node.target
        for entry in entries:
            if current is None:
                return None
            if isinstance(node.target, cst.Tuple):
                self.flow.assignments.assign(node.target.elements[0].value, None, current)
            self.flow.assignments.assign(target, key_expression(entry), current)
            current = self.flow.statements.block(node.body.body, current)
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
        uses = [call for call in self.flow.model.nodes_of(node.body, cst.Call) if _getattr_of(call, variable) is not None]
        return bool(uses) and all(_tracked(state, _getattr_of(call, variable)) for call in uses) \
            and not self.flow.model.nodes_of(node.body, cst.Break, cst.Continue, cst.Return, cst.Yield)

    def _unrolled_names(self, node: cst.For, state: State) -> State | None:
        """The loop run once per name, ``getattr(model, name)`` standing for ``model.<name>`` in its calls."""
        current: State | None = state
        variable = node.target.value  # type: ignore[union-attr]
        for element in node.iter.elements:
            if current is None:
                break
            self.flow.part_names[variable] = str(element.value.evaluated_value)  # type: ignore[union-attr]
            self.flow.assignments.assign(node.target, element.value, current)
            current = self.flow.statements.block(node.body.body, current)
        self.flow.part_names.pop(variable, None)
        return current

    def _runs_once(self, node: cst.For | cst.While) -> bool:
        """A ``for`` over ``range(n)`` with ``n`` known to be at least 1 (a literal, a constant, an
        argparse default), or over a non-empty literal sequence: its body runs at least once."""
        if not isinstance(node, cst.For):
            return False
        it = node.iter
        if isinstance(it, (cst.List, cst.Tuple)):
            return bool(it.elements) and not any(isinstance(e, cst.StarredElement) for e in it.elements)
        if _sets_element_modes(node):
            return True  # (`for net in self.nets: net.eval()`: a collection of modules, not an empty one)
        if not (isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value == "range"
                and self.flow.model.binding("range", None) is None and 1 <= len(it.args) <= 2
                and not any(a.star or a.keyword for a in it.args)):
            return False
        sizes = [self.flow.model.analysis(SizeResolution).size(a.value, self.flow.model.scope_of(it)) for a in it.args]
        if any(size is None for size in sizes):
            return False
        start, stop = (0, sizes[0].value) if len(sizes) == 1 else (sizes[0].value, sizes[1].value)
        return stop - start >= 1

    def set_each(self, call: cst.Call, receiver: str, method: str, state: State) -> None:
        """``net.eval()`` / ``net.train()`` in ``for net in [F, L, D]:``: each module of the list changes mode."""
        facts = self.flow.values.train_arg(call, receiver, state) if method == "train" else \
            frozenset({Fact(EVAL, call, "eval()", "`.eval()` at line {line}")}) if not call.args else _UNKNOWN
        if receiver in self.flow.unknown_items and not _on_every_item(self.flow.model, call, self.flow.unknown_items[receiver]):
            facts = _UNKNOWN
        for owner in self.flow.loop_modules[receiver]:
            if _tracked(state, owner) or receiver in self.flow.unknown_items and any(_child_of(k, owner) for k in state):
                self.flow.assignments.set_mode(state, owner, facts)  # (a dict's items: the entries followed under it too)

    def _parameter_loop(self, node: cst.For) -> None:
        it = node.iter
        if isinstance(it, cst.Name) and it.value in self.flow.params and isinstance(node.target, cst.Name):
            self.flow.element_vars[node.target.value] = it.value  # `for m in frozen:`, the modules a caller passes
            return
        if isinstance(it, (cst.Tuple, cst.List)) and isinstance(node.target, cst.Name):
            keys = [key_of(element.value) for element in it.elements if not isinstance(element, cst.StarredElement)]
            if keys and len(keys) == len(it.elements) and all(keys):
                self.flow.loop_modules[node.target.value] = keys  # `for enc in (model.stem, model.layer1):`
            return
        part = self._part_loop(it, node.target)
        if part is not None:
            self.flow.part_vars[part[0]] = part[1]
        it = self._parameters_named(it)  # (`backbone_params = list(model.features.parameters())`, then a loop over it)
        if not (isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute)):
            return
        owner = key_of(it.func.value)
        if owner is None:
            return
        target = node.target
        if it.func.attr.value in ("values", "items") and not it.args:
            # `for m in self.networks.values(): m.eval()` over a dict whose entries are not followed: its modules'
            # modes are not known from there on (a mode set on some entries, not which)
            var = target.elements[1].value if isinstance(target, cst.Tuple) and len(target.elements) == 2 \
                and it.func.attr.value == "items" else target
            if isinstance(var, cst.Name):
                self.flow.loop_modules[var.value] = [owner]
                self.flow.unknown_items[var.value] = node
        elif it.func.attr.value in ("modules", "children") and isinstance(target, cst.Name):
            self.flow.module_vars[target.value] = owner
        elif it.func.attr.value in ("named_modules", "named_children") and isinstance(target, cst.Tuple) \
                and len(target.elements) == 2 and isinstance(target.elements[1].value, cst.Name):
            self.flow.module_vars[target.elements[1].value.value] = owner
        elif it.func.attr.value == "parameters" and isinstance(target, cst.Name):
            self.flow.param_vars[target.value] = (owner, node)
        elif it.func.attr.value == "named_parameters" and isinstance(target, cst.Tuple) and len(target.elements) == 2:
            second = target.elements[1].value
            if isinstance(second, cst.Name):
                self.flow.param_vars[second.value] = (owner, node)
        elif it.func.attr.value == "named_parameters" and isinstance(target, cst.Name):
            self.flow.param_vars[f"{target.value}[1]"] = (owner, node)  # (`for p in ...named_parameters()`: `p[1]`)

    def _parameters_named(self, it: cst.BaseExpression) -> cst.BaseExpression:
        """What a loop's iterable stands for: the ``m.parameters()`` / ``m.modules()`` call it walks (also through
        ``list(...)``, a local name bound once in this function, or a DDP-or-plain choice); else ``it`` itself."""
        if isinstance(it, cst.Name) and it.value in self.flow.params:
            return it
        found = walked_call(it, self._bound_once)
        return found if found is not None else it

    def _bound_once(self, name: str) -> cst.BaseExpression | None:
        if name in self.flow.params:
            return None
        bound = self.flow.model.bindings(name, self.flow.scope)
        return bound[0][0] if bound is not None and len(bound[0]) == 1 else None

    @staticmethod
    def _part_loop(it: cst.BaseExpression, target: cst.BaseElement) -> tuple[str, str] | None:
        """(variable, container) for ``for block in model.features`` (sliced, or ``enumerate``d with
        ``for i, block in ...``): the variable is one of the container's parts (``model.features[i]``)."""
        it, target = _enumerated(it, target)
        if isinstance(it, cst.Subscript):
            it = it.value
        owner = key_of(it) if isinstance(it, cst.Attribute) else None
        return (target.value, owner) if owner is not None and isinstance(target, cst.Name) else None


def _element_entry(aliases: list, func: cst.BaseExpression, key: str, state: State) -> bool:
    root = key.split(".")[0].split("[")[0]
    return isinstance(func, (cst.Subscript, cst.Attribute)) and key != root and _tracked(state, root) \
        and any(name == root and entry.endswith(ANY_ENTRY) for name, entry in aliases) \
        and named_as_module(key.replace("[", ".").replace("'", "").replace("]", ""))


def _enumerated(it: cst.BaseExpression, target: cst.BaseElement) -> tuple:
    """(the iterable, the variable) of ``for i, block in enumerate(blocks)``: (``blocks``, ``block``); else as given."""
    if isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value == "enumerate" \
            and len(it.args) == 1 and isinstance(target, cst.Tuple) and len(target.elements) == 2:
        return it.args[0].value, target.elements[1].value
    return it, target



def _on_every_item(model, call: cst.Call, loop: cst.For) -> bool:
    """Whether ``call`` runs on every item of ``loop``: a statement of its body itself (not under an ``if`` or a
    ``try``), in a body that never jumps out (``for m in self.models.values(): m.eval()``: every entry)."""
    statement = model.parent(model.parent(call))
    return isinstance(model.parent(call), cst.Expr) and isinstance(loop.body, cst.IndentedBlock) \
        and statement in loop.body.body and loop.orelse is None \
        and not model.nodes_of(loop.body, cst.Break, cst.Continue, cst.Return, cst.Yield)


def _top_lines(lines):
    """The statements of a loop body, and those of an ``if`` at its top level that has no ``else``
    (``if isinstance(name, str): net = getattr(self, 'net' + name)``: a guard on the item's type)."""
    for line in lines:
        if isinstance(line, cst.If) and line.orelse is None:
            yield from line.body.body
        else:
            yield line


def _names_part(expr: cst.BaseExpression, names: set[str]) -> bool:
    """``getattr(self, 'net' + name)`` / ``self.nets[name]`` with ``name`` one of ``names``: a part looked up by it."""
    if (found := computed_lookup(expr)) is not None:
        looked_up = found[1]
    elif isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        looked_up = expr.slice[0].slice.value
    else:
        return False
    return any(isinstance(n, cst.Name) and n.value in names for n in walk(looked_up))


def _sets_element_modes(node: cst.For) -> bool:
    """Whether the body of a loop over a collection calls ``.eval()`` / ``.train()`` on its variable at its top
    level (``for net in self.nets: net.train()``)."""
    _, target = _enumerated(node.iter, node.target)
    if not isinstance(target, cst.Name):
        return False
    named = {target.value}  # (and names bound to a part it names: `net = getattr(self, 'net' + name)`)
    for line in _top_lines(node.body.body):
        small = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name) \
                and _names_part(small.value, named):
            named.add(small.targets[0].target.value)
        call = small.value if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) else None
        if call is not None and isinstance(call.func, cst.Attribute) and call.func.attr.value in ("eval", "train") \
                and (isinstance(call.func.value, cst.Name) and call.func.value.value in named
                     or _names_part(call.func.value, named)):
            return True
    return False
