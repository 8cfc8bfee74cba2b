"""What a name or dotted expression of a file refers to: its import-resolved qualified name, the
expressions a name is bound to in the scopes around a use, a nested function it calls, a constant value.

Functions of the :class:`~.model.FileModel`, which has them as methods (``model.binding(name, scope)``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.knowledge import layers as layer_table
from bn_lint.semantic.syntax.constants import evaluate

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.file.records import Scope

_CANONICAL_PREFIXES = (
    ("torch.nn.modules.", "torch.nn."),
    ("torch.nn.functional.", "torch.nn.functional."),
)


def qualname(model: "FileModel", expr: cst.BaseExpression | None) -> str | None:
    """The import-resolved dotted name of ``torch.nn.X``-like expressions."""
    parts: list[str] = []
    attribute, name = cst.Attribute, cst.Name  # (classes without subclasses: `type(x) is`, not the ABC's isinstance)
    while type(expr) is attribute:
        parts.append(expr.attr.value)  # type: ignore[union-attr]
        expr = expr.value  # type: ignore[union-attr]
    if type(expr) is not name:
        return None
    head = model.imports.get(expr.value)
    if head is None:
        if expr.value in model.module_scope.bindings or expr.value in model.functions or expr.value in model.classes:
            return None
        for star in model.star_imports:
            candidate = f"{star}.{expr.value}"
            if layer_table.lookup(candidate) or star == "torch.nn":
                head = candidate
                break
        else:
            return None
    parts.append(head)
    return canonical(".".join(reversed(parts)))


def binding(model: "FileModel", name: str, scope: Scope | None) -> tuple[cst.BaseExpression, Scope] | None:
    """The one expression ``name`` is bound to, seen from ``scope``, if certain."""
    found = model.bindings(name, scope)
    if found is None:
        return None
    values, where = found
    if len(values) == 1 or all(_same_code(model, values[0], v) for v in values[1:]):
        return values[0], where
    return None


def local_function(model: "FileModel", name: str, scope: Scope | None) -> cst.FunctionDef | None:
    """The function ``name`` calls from ``scope``: one defined at the top level, or nested in an
    enclosing function (``def stage(cin, cout)`` inside ``make_model``), if nothing rebinds the name."""
    while scope is not None:
        if name in scope.bindings or name in scope.params or name in scope.opaque:
            return None
        if name in scope.functions:
            return scope.functions[name]
        if scope.kind == "module":
            return model.functions.get(name)
        scope = scope.parent
    return None


def none_by_default(model: "FileModel", expr: cst.BaseExpression, scope: Scope | None) -> bool:
    """``expr`` names a parameter (of ``scope``'s function) whose default is ``None``."""
    if not isinstance(expr, cst.Name) or scope is None or scope.kind != "function":
        return False
    param = scope.params.get(expr.value)
    return param is not None and isinstance(param.default, cst.Name) and param.default.value == "None"


def bindings(model: "FileModel", name: str, scope: Scope | None) -> tuple[list[cst.BaseExpression], Scope] | None:
    """Every expression ``name`` is assigned in the scope that binds it, seen from ``scope``; None when
    that is not known (a parameter, a name bound by a loop or an import, not bound at all)."""
    current = scope or model.module_scope
    while current is not None:
        if current.kind == "class" and current is not scope:
            current = current.parent  # class bodies are not enclosing scopes
            continue
        if name in current.opaque:
            return None
        values = current.bindings.get(name)
        if values:
            return values, current
        if name in current.params:
            return None
        current = current.parent
    return None


def unpacked(model: "FileModel", name: str, scope: Scope | None) -> tuple[cst.Call, int, Scope] | None:
    """``(call, index, scope)`` when ``name`` is bound once, by unpacking what a call returns
    (``model, preprocess = build_model()``: ``(build_model(), 0)``), seen from ``scope``."""
    current = scope or model.module_scope
    while current is not None:
        if current.kind == "class" and current is not scope:
            current = current.parent
            continue
        if name in current.opaque:
            found = current.unpacked.get(name, [])
            if len(found) == 1 and found[0] is not None and name not in current.bindings:
                return (*found[0], current)
            return None
        if name in current.bindings or name in current.params:
            return None
        current = current.parent
    return None


def value(model: "FileModel", expr: cst.BaseExpression, scope: Scope | None) -> Any:
    """The constant value of ``expr`` (see :mod:`values`), or UNKNOWN."""
    return evaluate(expr, model, scope)


def canonical(qualified: str) -> str:
    for prefix, replacement in _CANONICAL_PREFIXES:
        if qualified.startswith(prefix) and prefix != replacement:
            rest = qualified[len(prefix):]
            return replacement + rest.rpartition(".")[2]
    return qualified


def _same_code(model: "FileModel", a: cst.CSTNode, b: cst.CSTNode) -> bool:
    return a is b or model.code(a) == model.code(b)


def stored_once(model: "FileModel", expr: cst.BaseExpression,
                scope: Scope | None) -> tuple[cst.BaseExpression, Scope] | None:
    """What ``self.attr`` holds when its class (of this file) assigns it exactly once and never augments
    it (``self.n = n``, ``self.kw = dict(...)``, ``self.norm = norm_layer``): the value and the scope it is
    written in. The one reader of that access path the evaluators share."""
    if not (type(expr) is cst.Attribute and type(expr.value) is cst.Name and expr.value.value == "self"):
        return None
    attr = expr.attr.value
    info = model.enclosing_class(scope)
    values = info.attributes.get(attr) if info is not None else None
    if not values or len(values) != 1 or any(
            type(node.target) is cst.Attribute and type(node.target.value) is cst.Name
            and node.target.value.value == "self" and node.target.attr.value == attr
            for node in model.nodes_of(info.node, cst.AugAssign)):
        return None
    if type(values[0][0]).__name__ in _GROWABLE and grown(model, info.node, f"self.{attr}"):
        return None  # (`self.samples = []`, then `self.samples.append(...)`: not the empty list)
    return values[0]


_GROWABLE = frozenset({"List", "Dict", "Set", "ListComp", "DictComp", "SetComp"})  # (names: libcst stays unread)
_GROWERS = frozenset({"append", "extend", "insert", "update", "add", "setdefault"})


def grown(model: "FileModel", root: cst.CSTNode, label: str) -> bool:
    """Whether code under ``root`` adds to the container ``label`` names (``label.append(x)``, ``label += ...``,
    ``label[k] = v``): its literal value is not what it holds later."""
    for node in model.nodes_of(root, cst.Call):
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _GROWERS and model.code(node.func.value) == label:
            return True
    for node in model.nodes_of(root, cst.AugAssign):
        if model.code(node.target) == label:
            return True
    for node in model.nodes_of(root, cst.Assign):
        if any(isinstance(t.target, cst.Subscript) and model.code(t.target.value) == label for t in node.targets):
            return True
    return False


def value_at(model: "FileModel", name: str, node: cst.CSTNode) -> cst.BaseExpression | None:
    """What ``name`` holds at ``node`` when the name is bound more than once: the value of the last plain
    ``name = value`` statement before ``node`` in a block around it (straight-line code, a notebook's cells
    one after another), with no statement between them that may bind it otherwise; None when not certain."""
    from bn_lint.semantic.syntax.walk import walk

    child: cst.CSTNode = node
    for ancestor in model.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        body = ancestor.body if isinstance(ancestor, (cst.Module, cst.IndentedBlock)) else None
        if not isinstance(body, (list, tuple)):
            child = ancestor
            continue
        index = next((i for i, statement in enumerate(body) if statement is child), None)
        for statement in reversed(body[:index] if index is not None else ()):
            if isinstance(statement, cst.SimpleStatementLine):
                for small in reversed(statement.body):
                    if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                            and isinstance(small.targets[0].target, cst.Name) and small.targets[0].target.value == name:
                        return small.value
            if any(isinstance(n, cst.Name) and n.value == name and _bound_here(model, n) for n in walk(statement)):
                return None  # (bound otherwise: a loop target, a tuple, a branch)
        child = ancestor
    return None


def _bound_here(model: "FileModel", name: cst.Name) -> bool:
    """Whether the name node is a target that binds (an assignment, a loop, ``with ... as``, an import)."""
    parent = model.parent(name)
    if isinstance(parent, (cst.Element, cst.StarredElement, cst.ImportAlias)):
        return True  # (a tuple's item, in a target or not: taken as binding)
    if isinstance(parent, cst.AsName):
        return parent.name is name
    return isinstance(parent, (cst.AssignTarget, cst.For, cst.AugAssign, cst.AnnAssign, cst.NamedExpr)) \
        and parent.target is name


def referenced_aliases(model: "FileModel", func: cst.BaseExpression, scope: "Scope | None"):
    """(values, scope) when ``func`` is a local name every assignment binds to a class or function by reference
    (``modelfn = e2cmodel.E2CModel``, ``A if multi else B``; not a call, not a parameter); None otherwise."""
    if not isinstance(func, cst.Name) or model.imports.get(func.value) is not None or func.value in model.functions \
            or func.value in model.classes:
        return None
    found = model.bindings(func.value, scope)
    if found is None:
        return None
    values = []
    for value in found[0]:  # (`A if multi else B`: either class)
        values += [value.body, value.orelse] if isinstance(value, cst.IfExp) else [value]
    if not all(isinstance(value, (cst.Name, cst.Attribute)) and func.value not in model.code(value).split(".") for value in values):
        return None
    return values, found[1]
