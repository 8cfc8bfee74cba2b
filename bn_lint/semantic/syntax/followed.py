"""Following a name to what it is bound to, with no depth limit: each binding's answer is worked out once
per file and evaluator, and a binding met again on its own way (``x = x + 1``, two names bound to each
other) gives the evaluator's answer for a cycle."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from bn_lint.semantic.file.model import FileModel

T = TypeVar("T")


class Answers(dict):
    """One evaluator's answer for each binding of one file (``id`` of the bound node -> answer); an
    evaluator subclasses it to have a table of its own (``FileModel.analysis`` keeps one per class)."""

    def __init__(self, model: "FileModel") -> None:
        super().__init__()


def through(model: "FileModel", table: type[Answers], node: "cst.CSTNode", following: frozenset[int],
            work: Callable[[frozenset[int]], T], cyclic: T) -> T:
    """``work`` for the binding ``node`` (given the bindings followed so far, ``node`` added), once per file;
    ``cyclic`` when ``node`` is already being followed."""
    key = id(node)
    if key in following:
        return cyclic
    known = model.analysis(table)
    if key not in known:
        known[key] = work(following | {key})
    return known[key]
