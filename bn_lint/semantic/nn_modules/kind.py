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


def one_of(kinds: "set[ModelKind | None] | list[ModelKind | None]") -> "ModelKind | None":
    """What a value holds that is one of several builds (a registry's entries, a builder's returned classes, the
    classes a run-time name may pick): the kind they agree on; MAYBE when one at least holds BatchNorm and every
    one is a module; None when one is unknown (or there are none)."""
    kinds = set(kinds)
    if not kinds or None in kinds:
        return None
    if len(kinds) == 1:
        return next(iter(kinds))
    return ModelKind.MAYBE if ModelKind.BN in kinds else None


class KindQueries(NamedTuple):
    """The evaluator's questions, for the modules that answer parts of them (registries, factory classes)."""

    # (the last argument of each: the questions on the way to this one, ``syntax.followed``)
    model_kind: Callable[["FileModel", "cst.BaseExpression", "Scope | None", frozenset], Optional[ModelKind]]
    class_kind: Callable[["FileModel", "ClassInfo", frozenset], Optional[ModelKind]]
    builder_kind: Callable[["FileModel", "cst.FunctionDef", frozenset], Optional[ModelKind]]
