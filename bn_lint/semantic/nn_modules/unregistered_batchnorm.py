"""BatchNorm layers a module class keeps in a plain list, dict or tuple (``self.heads = [Head() for _ in
range(4)]``): ``nn.Module`` never registers them, so ``model.eval()`` does not reach them (nor ``.to()``,
``state_dict()``) and they normalise with batch statistics whenever the model is evaluated. Found where the class
builds the entries itself (a display or comprehension of modules, or ``append`` of one) and runs them in a method."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from .bearing import ModelKind, model_kind
from .unregistered import unregistered_attributes

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope


@dataclass(frozen=True)
class UnregisteredBatchNorm:
    node: cst.CSTNode  # the assignment's value (or the `append`) that puts a BatchNorm module in the container
    attribute: str
    owner: str  # the class


def unregistered_batchnorm(model: "FileModel") -> Iterator[UnregisteredBatchNorm]:
    """Each plain container attribute of an ``nn.Module`` class of this file that holds a module with BatchNorm
    the class builds, and that one of its methods (not ``__init__``) reads."""
    for info in model.classes.values():
        if not model.is_nn_module_class(info):
            continue
        for attribute in unregistered_attributes(model, info):
            if not _read_by_a_method(model, info, attribute) or _modes_set_on_entries(model, info, attribute):
                continue
            entry = next((node for node, scope in _entries(model, info, attribute)
                          if model_kind(model, node, scope) is ModelKind.BN and not _registered_too(model, node, scope)),
                         None)
            if entry is not None:
                yield UnregisteredBatchNorm(entry, attribute, info.name)


def _entries(model: "FileModel", info: "ClassInfo", attribute: str) -> Iterator[tuple[cst.BaseExpression, "Scope"]]:
    """The modules the class puts in ``self.<attribute>``: the elements of its displays and comprehensions, and
    what ``self.<attribute>.append(...)`` adds."""
    for value, scope in info.attributes.get(attribute, []):
        if isinstance(value, (cst.List, cst.Tuple)):
            yield from ((element.value, scope) for element in value.elements)
        elif isinstance(value, cst.Dict):
            yield from ((element.value, scope) for element in value.elements if isinstance(element, cst.DictElement))
        elif isinstance(value, (cst.ListComp, cst.DictComp)):
            yield (value.elt if isinstance(value, cst.ListComp) else value.value), scope
    for call in model.nodes_of(info.node, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "append" and call.args \
                and model.code(func.value) == f"self.{attribute}":
            yield call.args[0].value, model.scope_of(call)


def _read_by_a_method(model: "FileModel", info: "ClassInfo", attribute: str) -> bool:
    """Whether a method other than ``__init__`` reads ``self.<attribute>`` (``for h in self.heads: h(x)``)."""
    for name, method in info.methods.items():
        if name != "__init__" and any(isinstance(node, cst.Attribute) and node.attr.value == attribute
                                      and isinstance(node.value, cst.Name) and node.value.value == "self"
                                      for node in model.nodes_of(method, cst.Attribute)):
            return True
    return False


def _modes_set_on_entries(model: "FileModel", info: "ClassInfo", attribute: str) -> bool:
    """Whether a method of the class sets the mode of the container's entries itself (``for h in self.heads:
    h.eval()``, ``self.heads[0].train()``): the class manages what ``nn.Module`` does not reach."""
    for loop in model.nodes_of(info.node, cst.For):
        if model.code(loop.iter) == f"self.{attribute}" and isinstance(loop.target, cst.Name) and any(
                isinstance(call.func, cst.Attribute) and call.func.attr.value in ("eval", "train")
                and model.code(call.func.value) == loop.target.value for call in model.nodes_of(loop, cst.Call)):
            return True
    return any(isinstance(call.func, cst.Attribute) and call.func.attr.value in ("eval", "train")
               and model.code(call.func.value).startswith(f"self.{attribute}[") for call in model.nodes_of(info.node, cst.Call))


def _registered_too(model: "FileModel", entry: cst.BaseExpression, scope: "Scope") -> bool:
    """Whether the module a name holds is registered as well (``setattr(self, 'bn%i' % i, bn)``,
    ``self.add_module(name, bn)``, ``self.bn0 = bn``) in the function that appends it: ``.eval()`` reaches it."""
    if not isinstance(entry, cst.Name) or scope is None or not isinstance(scope.node, cst.FunctionDef):
        return False
    for call in model.nodes_of(scope.node, cst.Call):
        args = [arg.value for arg in call.args]
        func = call.func
        if isinstance(func, cst.Name) and func.value == "setattr" and len(args) == 3:
            owner = args[0]
        elif isinstance(func, cst.Attribute) and func.attr.value == "add_module" and len(args) == 2:
            owner = func.value
        else:
            continue
        if model.code(owner) == "self" and isinstance(args[-1], cst.Name) and args[-1].value == entry.value:
            return True
    return any(isinstance(assign.value, cst.Name) and assign.value.value == entry.value and any(
        isinstance(t.target, cst.Attribute) and model.code(t.target.value) == "self" for t in assign.targets)
        for assign in model.nodes_of(scope.node, cst.Assign))
