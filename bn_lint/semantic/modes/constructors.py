"""What a project class's ``__init__`` does with the modules it is given (stores, deep-copies)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.model import stored_on_self
from bn_lint.semantic.syntax.walk import walk
from .keys import _names_read

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel


def _deep_copies(function: cst.FunctionDef, model: "FileModel") -> dict[cst.Call, str]:
    """``copy.deepcopy(param)`` calls in ``function`` (of ``model``'s file), with the parameter each copies."""
    return {node: node.args[0].value.value for node in model.nodes_of(function.body, cst.Call)
            if len(node.args) == 1 and isinstance(node.args[0].value, cst.Name)
            and model.qualname(node.func) == "copy.deepcopy"}


def _stored_params(init: cst.FunctionDef) -> dict[str, str]:
    """param -> attribute, for the parameters ``__init__`` uses only in ``self.attr = param`` statements."""
    stored: dict[str, str] = {}
    assigned: list[str] = []
    for attribute, param in stored_on_self(init):  # `self.model = model.to(device)`: the same module
        stored.setdefault(param, attribute)
        assigned.append(param)
    read = list(_names_read(init.body))
    # `encoder.out_dim`: reading an attribute of the module (not calling a method of it) leaves it as it is
    called = {id(node.func) for node in walk(init.body) if isinstance(node, cst.Call)}
    peeked = [node.value.value for node in walk(init.body) if isinstance(node, cst.Attribute)
              and isinstance(node.value, cst.Name) and id(node) not in called]
    return {param: attribute for param, attribute in stored.items()
            if read.count(param) == assigned.count(param) + peeked.count(param)}


def _is_dataclass_decorator(decorator: cst.BaseExpression, model: "FileModel") -> bool:
    func = decorator.func if isinstance(decorator, cst.Call) else decorator
    return model.qualname(func) == "dataclasses.dataclass"
