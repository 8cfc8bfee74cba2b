"""What a container module (``nn.Sequential(*layers)``, ``nn.ModuleDict({...})``) is built from: the
local lists and names it is given, and what is appended to those lists."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


_LIST_MUTATORS = frozenset({"append", "extend", "insert", "add_module"})
_MODULE_ADDERS = frozenset({"append", "extend", "insert", "add_module", "register_module"})


def list_contents(model: "FileModel", call: cst.Call, scope: "Scope | None") -> list[cst.CSTNode]:
    """What local lists given to a container (``nn.Sequential(*layers)``) are built from: their
    assigned values, and what ``layers.append(...)`` / ``+=`` / ``extend`` add in that scope."""
    out: list[cst.CSTNode] = added_later(model, call)
    for name_node in _named_members(model, call):
        name = name_node.value
        where = scope or model.module_scope
        while where is not None and not (name in where.bindings or name in where.opaque or name in where.params):
            where = where.parent
        if where is None or name in where.params:
            continue
        out.extend(where.bindings.get(name, ()))  # (`+=` makes the name opaque: its value is not one expression)
        for node in walk(where.node):
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                    and node.func.attr.value in _LIST_MUTATORS and isinstance(node.func.value, cst.Name) \
                    and node.func.value.value == name:
                out.append(node)
            elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name) and node.target.value == name:
                out.append(node.value)
    return out


def _named_members(model: "FileModel", call: cst.Call) -> list[cst.Name]:
    """The names a container is given as members: ``nn.Sequential(features, head)``, also as the values of
    ``OrderedDict([("features", features), ...])`` or of a dict display (``nn.ModuleDict({"head": head})``)."""
    found: list[cst.Name] = []
    for arg in call.args:
        value = arg.value
        if isinstance(value, cst.Name):
            found.append(value)
        elif isinstance(value, cst.Dict):
            found += [e.value for e in value.elements if isinstance(e, cst.DictElement) and isinstance(e.value, cst.Name)]
        elif isinstance(value, cst.Call) and value.args and model.qualname(value.func) == "collections.OrderedDict" \
                and isinstance(value.args[0].value, (cst.List, cst.Tuple)):
            for element in value.args[0].value.elements:
                pair = element.value
                if isinstance(pair, cst.Tuple) and len(pair.elements) == 2 and isinstance(pair.elements[1].value, cst.Name):
                    found.append(pair.elements[1].value)
    return found


def added_later(model: "FileModel", call: cst.Call) -> list[cst.CSTNode]:
    """What is put into the container ``call`` builds after it is bound (``net = nn.Sequential()``):
    ``net.add_module("bn", layer)`` / ``net.append(layer)`` calls and ``net.norm0 = layer`` values, in the
    function (or module) that binds it, under the same name (``net``, ``self.features``)."""
    statement = model.parent(call)
    if not (isinstance(statement, cst.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0].target, (cst.Name, cst.Attribute))):
        return []
    held = model.code(statement.targets[0].target)
    where = model.scope_of(call).node
    out: list[cst.CSTNode] = []
    for node in walk(where):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value in _MODULE_ADDERS and model.code(node.func.value) == held:
            out.append(node)
        elif isinstance(node, cst.Assign) and node is not statement:
            for target in node.targets:
                if isinstance(target.target, cst.Attribute) and model.code(target.target.value) == held:
                    out.append(node.value)
    return out
