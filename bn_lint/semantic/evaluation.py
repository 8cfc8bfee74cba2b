"""Evaluation recognised from the data a model is run on (RULES.md, BN101).

A loop over evaluation data (``test_loader``, ``val_dl``, ``valid_iterator``,
``testdataloader``, ``self.dev_set``) that takes no training step runs the model
for evaluation, whatever the function around it is called and whether or not
gradients are off.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from .walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from .model import FileModel

# one word of an identifier (split at `_` and `.`) naming evaluation data: `val`, `test_loader`'s `test`,
# `testloader`, `validdataloader`; not `value(s)`, `testing_utils`, `evaluate` (a function)
_EVAL_DATA_WORD = re.compile(
    r"(?:test|val|valid|validation|eval|evaluation|dev|holdout|heldout)"
    r"(?:loader|dataloader|dl|iter|iterator|set|dataset|data|batches|ds)?s?")


def eval_data_words(expr: cst.BaseExpression) -> str | None:
    """The identifier in ``expr`` that names evaluation data (``test_loader`` in
    ``enumerate(self.test_loader)``), or None."""
    for node in walk(expr):
        name = node.value if isinstance(node, cst.Name) else None
        if name is None:
            continue
        if any(_EVAL_DATA_WORD.fullmatch(word) for word in name.lower().split("_") if word):
            return name
    return None


def eval_data_loop(model: "FileModel", node: cst.CSTNode) -> str | None:
    """Why ``node`` (a model call) runs on evaluation data: a ``for`` around it, in the same function,
    iterates over data named for evaluation. None otherwise."""
    for ancestor in model.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        if isinstance(ancestor, cst.For) and not _inside(node, ancestor.iter):
            name = eval_data_words(ancestor.iter)
            if name is not None:
                return f"in a loop over `{name}`"
    return None


def _inside(node: cst.CSTNode, within: cst.CSTNode) -> bool:
    return any(inner is node for inner in walk(within))
