"""Answers about module kinds worked out once per question, with the cycles between questions (a class whose
parts are built by its own helpers, a builder that calls itself) cut short: an answer cut short is provisional
until the outermost question is answered (``memoized``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.nn_modules.kind import ModelKind


def memoized(model: "FileModel", table: str, name: Any, compute: "Callable[[], ModelKind | None]",
             following: frozenset) -> "ModelKind | None":
    """``compute()``, worked out once per (model, table, name), asked with ``following`` (the questions
    on its way that are not memoized ones: ``syntax.followed``).

    An answer cut short by a cycle (a question still being worked out, or one on its
    way: ``cut_short``) depends on where the question came from: it is kept only until the outermost
    question is answered, so a file's findings never depend on which files were
    checked before it in the same process, and a cycle of helpers is still worked out
    once per question, not once per path through it. Asked again as an outermost question
    (nothing else in progress) with the same questions on its way, a cut-short answer is the same answer:
    it is kept for that, so a file that builds a thousand ``Add(x, y)`` walks Add's class
    graph once.
    """
    cache = model.__dict__.setdefault("_kind_cache", {})
    key = (table, name)
    if key in cache:
        return cache[key]
    marker = (id(model), table, name)
    outermost = not _IN_PROGRESS
    if outermost:  # a new outermost question: nothing from an earlier one is provisional
        _CUT.clear()
        _PROVISIONAL.clear()
        if (table, name, following) in cache:  # asked before as an outermost question, and cut short then
            return cache[table, name, following]
    if marker in _PROVISIONAL:
        return _PROVISIONAL[marker]
    if marker in _IN_PROGRESS:
        _CUT.add(marker)  # a cycle: the caller's answer is provisional until ``marker`` is finished
        return None
    _IN_PROGRESS.add(marker)
    try:
        result = compute()
        _CUT.discard(marker)
        if _CUT:
            _PROVISIONAL[marker] = result
            if outermost:  # what a cycle cut short starts from nothing provisional
                cache[table, name, following] = result  # each time: the same answer, not the same work again
        else:
            cache[key] = result
            if table == "class":  # for the project index (``Project.save_index``)
                model.index_facts[key] = result.value if result is not None else None
        return result
    finally:
        _IN_PROGRESS.discard(marker)
        if not _IN_PROGRESS:  # the outermost question is answered: nothing provisional is left
            _CUT.clear()
            _PROVISIONAL.clear()


_IN_PROGRESS: set = set()  # questions being worked out, for cycle detection
_CUT: set = set()  # in-progress questions (or _ON_THE_WAY) that cut short an answer now being computed
_PROVISIONAL: dict = {}  # answers cut short, valid until the outermost question is answered
_ON_THE_WAY = ("cycle", "on the way")


def cut_short() -> None:
    """Mark the answers now being worked out as cut short by a question met again on its own way (provisional)."""
    _CUT.add(_ON_THE_WAY)
