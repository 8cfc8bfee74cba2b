"""The value a field of a record holds: ``settings.momentum`` where ``settings`` is what
``Settings(momentum=0.99, eps=1e-3)`` built.

A record class is a ``collections.namedtuple`` / ``typing.NamedTuple`` (the assignment form, or a
class deriving from ``NamedTuple``) or a ``@dataclass`` of the project, in this file or imported
from another project file; a plain settings class (``Config(batch_size=8)``) counts with its keyword
arguments and its class-level defaults. Its construction gives each field by keyword or in the order the fields
are declared, or leaves it at its declared default (``namedtuple(..., defaults=[...])``, ``eps:
float = 1e-3``). The construction can be the record call itself, a name bound once to it, or a
call of a project function (here or imported) whose every ``return`` builds the record.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.names import stored_once

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.file.records import ClassInfo, Scope

Field = tuple["FileModel", "cst.BaseExpression", "Scope"]  # the file, the expression, its scope
_NAMEDTUPLES = frozenset({"collections.namedtuple", "typing.NamedTuple"})
_DATACLASS = frozenset({"dataclasses.dataclass"})
_FIELD = frozenset({"dataclasses.field"})


def record_fields(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None", attr: str,
                  following: frozenset[int] = frozenset()) -> list[Field] | None:
    """What field ``attr`` holds in the record ``expr`` builds, once per ``return`` of a function that
    builds it; None when ``expr`` is not a record construction the code shows, or hides the field."""
    if id(expr) in following:  # (a name, or a function's return, whose record is its own)
        return None
    following = following | {id(expr)}
    scope = scope or model.module_scope
    if isinstance(expr, (cst.Name, cst.Attribute)):  # a name bound once, a `self.settings` assigned once
        bound = model.binding(expr.value, scope) if isinstance(expr, cst.Name) else stored_once(model, expr, scope)
        return record_fields(model, bound[0], bound[1], attr, following) if bound is not None else None
    if not isinstance(expr, cst.Call):
        return None
    declared = _record_class(model, expr.func, scope)
    if declared is not None:
        found = _construction_field(model, expr, scope, attr, *declared)
        return [found] if found is not None else None
    function = _project_function(model, expr.func, scope)
    if function is None:
        return None
    owner, node = function
    returns = [r for r in owner.nodes_of(node, cst.Return) if _own(owner, r, node)]
    if not returns or any(r.value is None for r in returns):
        return None
    fields: list[Field] = []
    for ret in returns:
        found = record_fields(owner, ret.value, owner.scope_of(ret), attr, following)
        if found is None:
            return None
        fields.extend(found)
    return fields


def record_entries(model: "FileModel", expr: cst.BaseExpression,
                   scope: "Scope") -> tuple[dict[str, cst.BaseExpression], "Scope"] | None:
    """Every field of the dataclass or named tuple ``expr`` holds, by name, as ``dataclasses.asdict(args)`` hands
    them out (``args = LoaderArgs(batch_size=2, shuffle=True)``): what the construction gives each field, else its
    declared default; None unless each is known and written in this file, in the construction's scope or as a
    literal (the entries share one scope)."""
    if isinstance(expr, (cst.Name, cst.Attribute)):  # a name bound once, a `self.args` assigned once
        bound = model.binding(expr.value, scope) if isinstance(expr, cst.Name) else stored_once(model, expr, scope)
        if bound is None:
            return None
        expr, scope = bound
    declared = _record_class(model, expr.func, scope) if isinstance(expr, cst.Call) else None
    if declared is None or not isinstance(declared[1], list):
        return None
    entries: dict[str, cst.BaseExpression] = {}
    for name, _default in declared[1]:
        found = _construction_field(model, expr, scope, name, *declared)
        if found is None or found[0] is not model or found[2] is not scope and not _literal(found[1]):
            return None
        entries[name] = found[1]
    return entries, scope


def _literal(value: cst.BaseExpression) -> bool:
    """A number, a string, or ``True`` / ``False`` / ``None``: a value whatever scope reads it."""
    return isinstance(value, (cst.Integer, cst.Float, cst.SimpleString)) or \
        isinstance(value, cst.Name) and value.value in ("True", "False", "None")


def _own(model: "FileModel", node: cst.CSTNode, function: cst.FunctionDef) -> bool:
    """``node`` belongs to ``function`` itself, not to a function or class nested in it."""
    for ancestor in model.ancestors(node):
        if ancestor is function:
            return True
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return False
    return False


def _construction_field(model: "FileModel", call: cst.Call, scope: "Scope", attr: str,
                        owner: "FileModel", fields: "list[tuple[str, cst.BaseExpression | None]] | ClassInfo",
                        where: "Scope") -> Field | None:
    """The field ``attr`` of one construction: by keyword, by position, or its declared default. For a
    plain settings class (``fields`` its ClassInfo): by keyword, else its class-level default, and only
    when every argument is a keyword and no method assigns the attribute."""
    if not isinstance(fields, list):
        if any(arg.star or arg.keyword is None for arg in call.args):
            return None
        given = next((arg.value for arg in call.args if arg.keyword.value == attr), None)
        if given is not None:
            return model, given, scope
        defaults = fields.scope.bindings.get(attr)
        if attr in fields.attributes or not defaults or len(defaults) != 1:
            return None
        return owner, defaults[0], fields.scope
    names = [name for name, _default in fields]
    if attr not in names:
        return None
    position = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is not None:
            if arg.keyword.value == attr:
                return model, arg.value, scope
            continue
        if position < len(names) and names[position] == attr:
            return model, arg.value, scope
        position += 1
    default = dict(fields)[attr]
    return (owner, default, where) if default is not None else None


def _record_class(model: "FileModel", func: cst.BaseExpression, scope: "Scope",
                  imported: frozenset[tuple[str, str]] = frozenset()) -> tuple["FileModel", "list[tuple[str, cst.BaseExpression | None]] | ClassInfo", "Scope"] | None:
    """The file that declares the record class ``func`` names, its fields in order with their
    defaults (the ClassInfo of a plain class of the project), and the scope the defaults are written in;
    imports are followed to the file that defines it (``imported``: those followed, a cycle of them ends)."""
    if not isinstance(func, cst.Name):
        return None
    if model.binding(func.value, scope) is None and func.value in model.classes:
        info = model.classes[func.value]
        fields = _class_fields(model, info)
        return model, fields if fields is not None else info, info.scope
    bound = model.binding(func.value, scope)
    if bound is not None:
        if isinstance(bound[0], cst.Call) and model.qualname(bound[0].func) in _NAMEDTUPLES:
            fields = _namedtuple_fields(model, bound[0], bound[1])
            return (model, fields, bound[1]) if fields is not None else None
        return None
    dotted = model.imports.get(func.value)
    found = model.imported(dotted) if dotted else None
    if found is None or found[0] is model or (found[0].path, found[1]) in imported:
        return None
    other, name = found
    return _record_class(other, cst.Name(name), other.module_scope, imported | {(other.path, name)})


def _class_fields(model: "FileModel", info: "ClassInfo") -> list[tuple[str, cst.BaseExpression | None]] | None:
    """The annotated fields of a ``@dataclass`` or ``NamedTuple`` class, with their defaults."""
    dataclass = any(model.qualname(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) in _DATACLASS
                    for d in info.node.decorators)
    if not dataclass and not any(model.qualname(base) == "typing.NamedTuple" for base in info.bases):
        return None
    fields = []
    for statement in info.node.body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    fields.append((small.target.value, field_default(model, small.value)))
    return fields


def field_default(model: "FileModel", value: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """The default a dataclass field declares: its value, or ``field(default=...)``'s (None for a
    ``field`` without one: ``default_factory``, or no default)."""
    if isinstance(value, cst.Call) and model.qualname(value.func) in _FIELD:
        return next((a.value for a in value.args if a.keyword is not None and a.keyword.value == "default"), None)
    return value


def _namedtuple_fields(model: "FileModel", call: cst.Call,
                       scope: "Scope") -> list[tuple[str, cst.BaseExpression | None]] | None:
    """``namedtuple("S", ["a", "b"], defaults=[...])`` / ``"a b"`` / ``NamedTuple("S", [("a", int)])``."""
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if len(positional) != 2 or any(a.star for a in call.args):
        return None
    spec = positional[1]
    names: list[str] = []
    if isinstance(spec, (cst.SimpleString, cst.ConcatenatedString)):
        text = model.value(spec, scope)
        if not isinstance(text, str):
            return None
        names = text.replace(",", " ").split()
    elif isinstance(spec, (cst.List, cst.Tuple)):
        for element in spec.elements:
            item = element.value
            if isinstance(item, cst.Tuple) and item.elements:  # typing.NamedTuple("S", [("a", int)])
                item = item.elements[0].value
            name = model.value(item, scope)
            if not isinstance(name, str):
                return None
            names.append(name)
    else:
        return None
    defaults: list[cst.BaseExpression] = []
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "defaults":
            if not isinstance(arg.value, (cst.List, cst.Tuple)):
                return None
            defaults = [e.value for e in arg.value.elements]
    if len(defaults) > len(names):
        return None
    padded: list[cst.BaseExpression | None] = [None] * (len(names) - len(defaults)) + list(defaults)
    return list(zip(names, padded))


def _project_function(model: "FileModel", func: cst.BaseExpression,
                      scope: "Scope") -> tuple["FileModel", cst.FunctionDef] | None:
    """The project function a call names: defined in this file, or imported from another project file."""
    if not isinstance(func, cst.Name):
        return None
    local = model.local_function(func.value, scope)
    if local is not None:
        return model, local
    dotted = model.imports.get(func.value)
    found = model.imported(dotted, "def") if dotted and func.value not in model.module_scope.bindings else None
    if found is None or found[0] is model:
        return None
    other, name = found
    function = other.functions.get(name)
    return (other, function) if function is not None else None
