"""The mode call that dominates a statement: the last ``model.eval()`` / ``model.train()`` of the statements
that run, in order, before it in its own block and the blocks around it (``model.eval()`` then
``run_epoch(model, loader, None)``), read from the syntax alone, for questions asked while the flow that would
know is still running."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from .keys import key_of
from .state import EVAL, TRAIN

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

def last_mode_call(model: "FileModel", node: cst.CSTNode, key: str) -> str | None:
    """EVAL or TRAIN, the mode the last call on ``key`` that dominates ``node`` sets; None when none does, or
    a statement between them may set it (a mode call in a branch or a loop, ``key`` rebound)."""
    child = node
    for ancestor in model.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        if isinstance(ancestor, (cst.IndentedBlock, cst.Module)):
            body = list(ancestor.body)
            if child in body:
                for statement in reversed(body[:body.index(child)]):
                    found = _mode_set_by(model, statement, key)
                    if found != "":
                        return found
        child = ancestor
    return None


def _mode_set_by(model: "FileModel", statement: cst.CSTNode, key: str) -> str | None:
    """The mode ``statement`` leaves ``key`` in: EVAL, TRAIN, None when it may change it in a way not read here,
    "" when it does not touch it."""
    if isinstance(statement, cst.With):  # (a block whose body always runs)
        for inner in reversed(list(statement.body.body)):
            found = _mode_set_by(model, inner, key)
            if found != "":
                return found
        return ""
    touched = ""
    for call in model.nodes_of(statement, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("eval", "train") and key_of(func.value) == key:
            touched = _set_mode(call)
    for target in model.nodes_of(statement, cst.Name):
        if target.value == key and isinstance(model.parent(target), (cst.AssignTarget, cst.AnnAssign)):
            return None  # (`model = build()`: another model)
    if touched and not isinstance(statement, cst.SimpleStatementLine):
        return None  # (in a branch or a loop: it may not run)
    return touched


def _set_mode(call: cst.Call) -> str | None:
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "eval":
        return EVAL
    if not call.args:
        return TRAIN
    value = call.args[0].value
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        return TRAIN if value.value == "True" else EVAL
    return None
