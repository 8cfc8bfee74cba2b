"""The chain interpreter's frame (one function run's locals and ``self``), its budget, and the small
syntax tests its parts share (see :mod:`.chains`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.shapes.values import SelfState
from bn_lint.semantic.file.classes import decorated_as

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import Scope


_MAX_UNROLL = 64
_BUDGET = 60_000  # statements + expressions interpreted per file


class _OutOfBudget(Exception):
    pass


@dataclass(eq=False)
class Frame:
    scope: "Scope"
    locals: dict[str, Any]
    self_state: SelfState | None = None
    function: bool = True
    dead: bool = False
    returns: list[Any] = field(default_factory=list)
    site: cst.Call | None = None
    flow: bool = False  # the module body, run in order

    def fork(self) -> "Frame":
        return Frame(self.scope, dict(self.locals), self.self_state.copy() if self.self_state else None,
                     self.function, self.dead, self.returns, self.site, self.flow)


def _is_self(node: cst.CSTNode | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "self"


def _is_name(node: cst.CSTNode, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _is_static(node: cst.FunctionDef) -> bool:
    return decorated_as(node, "staticmethod")
