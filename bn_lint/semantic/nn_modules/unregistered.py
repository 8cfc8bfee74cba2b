"""Attributes of a class that ``nn.Module`` does not register as parts: a plain ``list``, ``dict`` or ``tuple``
stored on ``self`` (``self.members = members`` from a parameter annotated ``list[dict]``, ``self.nets = [a, b]``),
never an ``nn.ModuleList`` / ``nn.ModuleDict``. A module's ``.eval()`` / ``.train()`` (its own, a parent's, a
framework's) does not reach the models such an attribute holds: they keep the modes they have."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope

_PLAIN_TYPES = frozenset({"list", "dict", "tuple", "List", "Dict", "Tuple"})
# a method that makes an attribute a registered part whatever was stored there first
_REGISTERS = frozenset({"add_module", "register_module"})


def unregistered_attribute(model: "FileModel", info: "ClassInfo", attribute: str) -> bool:
    """Whether every value the class stores in ``self.<attribute>`` is certainly a plain container (a list, dict
    or tuple display or comprehension, ``list(...)``/``dict(...)``/``tuple(...)``, or a parameter of the
    assigning method annotated ``list``/``dict``/``tuple``, also subscripted: ``list[dict[str, Any]]``), and
    the class registers nothing under that name (``self.add_module(name, ...)``, ``setattr(self, name, entry)`` for
    each entry)."""
    values = info.attributes.get(attribute, [])
    if not values or not all(_plain_container(value, scope) for value, scope in values):
        return False
    return not any(isinstance(call.func, cst.Attribute) and call.func.attr.value in _REGISTERS
                   for call in model.nodes_of(info.node, cst.Call)) and not _set_on_self_one_by_one(model, info, attribute)


def _set_on_self_one_by_one(model: "FileModel", info: "ClassInfo", attribute: str) -> bool:
    """``for i, b in enumerate(self._blocks): setattr(self, f"_block_{i}", b)``: each entry registered under a name
    of its own."""
    for loop in model.nodes_of(info.node, cst.For):
        if f"self.{attribute}" in model.code(loop.iter) and any(
                isinstance(call.func, cst.Name) and call.func.value == "setattr" and call.args
                and model.code(call.args[0].value) == "self" for call in model.nodes_of(loop, cst.Call)):
            return True
    return False


def unregistered_attributes(model: "FileModel", info: "ClassInfo") -> list[str]:
    """The attributes of ``info`` that hold plain containers (``unregistered_attribute``), in name order."""
    return [name for name in sorted(info.attributes) if unregistered_attribute(model, info, name)]


def _plain_container(value: cst.BaseExpression, scope: "Scope | None") -> bool:
    if isinstance(value, (cst.List, cst.Dict, cst.Tuple, cst.ListComp, cst.DictComp)):
        return True
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("list", "dict", "tuple"):
        return True
    param = scope.params.get(value.value) if isinstance(value, cst.Name) and scope is not None else None
    if param is None or param.annotation is None or scope.bindings.get(value.value):
        return False
    annotation = param.annotation.annotation
    if isinstance(annotation, cst.Subscript):
        annotation = annotation.value
    name = annotation.attr.value if isinstance(annotation, cst.Attribute) else \
        annotation.value if isinstance(annotation, cst.Name) else None
    return name in _PLAIN_TYPES
