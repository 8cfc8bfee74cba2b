"""What a module may hold, as far as the code shows (RULES.md "Evidence"), and the questions that work it out."""
from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Callable, NamedTuple, Optional

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope


class ModelKind(str, Enum):
    BN = "bn"
    MAYBE = "maybe"
    NO = "no"


class KindQueries(NamedTuple):
    """The evaluator's questions, for the modules that answer parts of them (registries, factory classes)."""

    model_kind: Callable[["FileModel", "cst.BaseExpression", "Scope | None", int], Optional[ModelKind]]
    class_kind: Callable[["FileModel", "ClassInfo", int], Optional[ModelKind]]
    builder_kind: Callable[["FileModel", "cst.FunctionDef", int], Optional[ModelKind]]
    max_depth: int
