"""Entries of a local list the code shows whole (``models = []; models.append(net)``) followed as keys of their own
(``models[0]`` is ``net``), as a dict literal's are (``dict_entries``), and loops over such a list run once per entry."""
from __future__ import annotations

import libcst as cst

from bn_lint.semantic.syntax.followed import entered

from .state import State, _lookup, _tracked


def listed_items(model, name: str, scope) -> list[tuple[cst.BaseExpression, cst.CSTNode]] | None:
    """``(item, where)`` in order for a list ``name`` bound once in ``scope`` to a literal and grown there only by
    ``append(item)`` calls that each run once (in no loop); ``where`` is the literal or the ``append`` call. None
    for any other list."""
    bound = model.bindings(name, scope)
    if bound is None or bound[1] is not scope or len(bound[0]) != 1 or not isinstance(bound[0][0], cst.List):
        return None
    literal = bound[0][0]
    items = [(element.value, literal) for element in literal.elements if not isinstance(element, cst.StarredElement)]
    if len(items) != len(literal.elements):
        return None
    body = scope.node if scope is not None and scope.node is not None else model.module
    calls = [site for site in model.calls if site.scope is scope and isinstance(site.node.func, cst.Attribute)
             and isinstance(site.node.func.value, cst.Name) and site.node.func.value.value == name]
    for site in sorted(calls, key=lambda s: model.order(s.node)):
        func = site.node.func
        if func.attr.value != "append" or len(site.node.args) != 1 or site.node.args[0].keyword is not None \
                or site.node.args[0].star or any(isinstance(a, (cst.For, cst.While, cst.Lambda))
                                                 for a in _ancestors_within(model, site.node, body)):
            return None  # (grown otherwise, or in a loop: which entry is which is not known)
        items.append((site.node.args[0].value, site.node))
    return items


def appended_entry(flow, call: cst.Call, state: State) -> None:
    """``models.append(net)`` of a list ``listed_items`` knows: ``models[i]`` is ``net``, one module under two names."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "append" and isinstance(func.value, cst.Name)
            and len(call.args) == 1 and isinstance(call.args[0].value, cst.Name)
            and _tracked(state, call.args[0].value.value)):
        return
    items = listed_items(flow.model, func.value.value, flow.model.scope_of(call))
    index = next((i for i, (_, where) in enumerate(items or ()) if where is call), None)
    if index is None:
        return
    key, item = f"{func.value.value}[{index}]", call.args[0].value.value
    state[key] = _lookup(state, item)
    if (key, item) not in flow.aliases:
        flow.aliases.append((key, item))


def _ancestors_within(model, node: cst.CSTNode, body: cst.CSTNode):
    for ancestor in model.ancestors(node):
        if ancestor is body:
            return
        yield ancestor


def given_items(model, value: cst.BaseExpression, scope) -> list[cst.BaseExpression]:
    """The items of a list or tuple literal given as an argument (``predict(x, [resnet50, resnet101])``), or of a
    list the code shows whole (``listed_items``); none for any other argument."""
    if isinstance(value, (cst.List, cst.Tuple)):
        starred = any(isinstance(element, cst.StarredElement) for element in value.elements)
        return [] if starred else [element.value for element in value.elements]
    found = listed_items(model, value.value, scope) if isinstance(value, cst.Name) else None
    return [item for item, _where in found] if found else []


def iterated_values(model, iterated: cst.BaseExpression, scope,
                    following: frozenset = frozenset()) -> list[cst.BaseExpression] | None:
    """The values a ``for`` loop over ``iterated`` takes, where the code writes them: the elements of a literal list
    or tuple, either arm of a conditional (``['train', 'val'] if not test else ['test']``), the element a
    comprehension builds each time (``[Client(m) for _ in range(n)]``), what ``append`` calls put in a list bound
    empty (``clients = []``), or those of the one value a name is bound to; None where the code does not show them."""
    if isinstance(iterated, (cst.List, cst.Tuple)):
        return [element.value for element in iterated.elements]
    if isinstance(iterated, (cst.ListComp, cst.GeneratorExp)):
        return [iterated.elt]
    if isinstance(iterated, cst.IfExp):
        arms = [iterated_values(model, arm, scope, following) for arm in (iterated.body, iterated.orelse)]
        return None if None in arms else [value for arm in arms for value in arm]
    if isinstance(iterated, cst.Name):
        bound = model.binding(iterated.value, scope)
        following = entered(following, id(bound[0])) if bound is not None else None  # (names however far)
        if following is None:
            return None
        if bound is not None and isinstance(bound[0], cst.List) and not bound[0].elements:
            body = bound[1].node if bound[1] is not None and bound[1].node is not None else model.module
            return [c.args[0].value for c in model.nodes_of(body, cst.Call)
                    if isinstance(c.func, cst.Attribute) and c.func.attr.value == "append" and len(c.args) == 1
                    and isinstance(c.func.value, cst.Name) and c.func.value.value == iterated.value]
        return iterated_values(model, bound[0], bound[1], following)
    return None
