"""Following a name to what it is bound to, with no depth limit: each binding's answer is worked out once
per file and evaluator, and a binding met again on its own way (``x = x + 1``, two names bound to each
other) gives the evaluator's answer for a cycle."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Hashable, TypeVar

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


def entered(following: frozenset, key: Hashable) -> frozenset | None:
    """``following`` (the questions on the way to this one) with ``key`` added; None when ``key`` is already on
    the way: a cycle, whose answer is the asker's "not known"."""
    return None if key in following else following | {key}


def node_key(model: "FileModel", question: str, node: "cst.CSTNode", scope: object) -> Hashable:
    """A key for asking ``question`` of ``node`` seen from ``scope``: the node of the file itself, or, for one the
    analysis made up (``cst.Name(config)`` standing for a parameter's module-level value), its code."""
    return (question, id(node)) if id(node) in model.order_by_id else (question, id(scope), model.code(node))
