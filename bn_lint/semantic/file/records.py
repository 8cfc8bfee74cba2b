"""The records a file model is made of: scopes with their bindings, classes, call sites, layer calls."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.knowledge.layer_spec import LayerSpec


@dataclass
class Scope:
    """A module, class or function body and the simple names bound in it."""

    node: cst.CSTNode
    kind: str  # "module" | "class" | "function" | "lambda"
    parent: "Scope | None"
    bindings: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    params: dict[str, cst.Param] = field(default_factory=dict)
    # names bound in ways the model cannot follow (for-targets, with-as, tuple unpacking, ...)
    opaque: set[str] = field(default_factory=set)
    # each opaque binding of a name: (call, index) for `model, preprocess = build()`, None for the others
    unpacked: dict[str, list[tuple[cst.Call, int] | None]] = field(default_factory=dict)
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)  # of a function scope: its nested defs

    @property
    def name(self) -> str | None:
        node = self.node
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return node.name.value
        return None


@dataclass
class ClassInfo:
    name: str
    node: cst.ClassDef
    scope: Scope
    bases: list[cst.BaseExpression]
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)
    # ``self.<attr> = value`` anywhere in the class's methods, with the method's scope
    attributes: dict[str, list[tuple[cst.BaseExpression, Scope]]] = field(default_factory=dict)


@dataclass
class CallSite:
    node: cst.Call
    scope: Scope


@dataclass(frozen=True)
class LayerCall:
    """A call that builds a torch.nn layer, with its arguments bound to parameters."""

    node: cst.Call
    spec: LayerSpec
    args: dict[str, cst.BaseExpression]  # parameter name -> argument expression
    positional: frozenset[str]  # parameters passed positionally
    preset: dict[str, cst.BaseExpression]  # bound through functools.partial
    scope: Scope


def param_of(name: str, scope: "Scope | None") -> tuple[cst.Param, cst.FunctionDef | None] | None:
    """The parameter ``name`` refers to from ``scope`` (nearest enclosing function), if it is one."""
    current = scope
    while current is not None:
        if current.kind == "class":
            current = current.parent
            continue
        if name in current.bindings or name in current.opaque:
            return None
        if name in current.params:
            node = current.node
            return current.params[name], node if isinstance(node, cst.FunctionDef) else None
        current = current.parent
    return None
