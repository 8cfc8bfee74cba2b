"""How every analysis follows names, calls, classes, callers and imports however far, with no depth limit.

A walk carries the questions on its way (``following``: a binding, a class, a ``(function, parameter)``, a
re-export); ``entered`` adds one and says when it is met again, a cycle, whose answer is the asker's "not
known". ``through`` also keeps each binding's answer once per file and evaluator (the constant and int
evaluators), so that a name read twice on every level is worked out once, not twice per level."""
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
