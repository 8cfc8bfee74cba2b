"""A module's mode saved in a variable to be restored later: ``was = model.training`` (a flag) or ``mode = "train" if
model.training else "eval"`` (a word), tested again by ``if was:`` / ``if mode == "train":``."""
from __future__ import annotations

import libcst as cst

from .keys import key_of


def saved_mode(value: cst.BaseExpression) -> tuple[str, str | None] | None:
    """``model.training`` -> ("model", None); ``"train" if model.training else "eval"`` -> ("model", "train"): the
    module whose mode the value saves, and the word that says training where it saves a word; None otherwise."""
    if isinstance(value, cst.Attribute) and value.attr.value == "training":
        owner = key_of(value.value)
        return (owner, None) if owner is not None else None
    if not isinstance(value, cst.IfExp) or not all(
            isinstance(word, cst.SimpleString) for word in (value.body, value.orelse)):
        return None
    test, negated = value.test, False
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, negated = test.expression, True
    owner = key_of(test.value) if isinstance(test, cst.Attribute) and test.attr.value == "training" else None
    training, other = (value.orelse, value.body) if negated else (value.body, value.orelse)
    if owner is None or training.evaluated_value == other.evaluated_value:
        return None
    return owner, training.evaluated_value


def word_compared(test: cst.BaseExpression, words: dict[str, str]) -> tuple[str, bool] | None:
    """``mode == "train"`` of a name in ``words`` (a name that saved a mode as a word -> the word that says
    training): (the name, whether the test holds in eval mode); None for any other test."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    operator = test.comparisons[0].operator
    left, right = test.left, test.comparisons[0].comparator
    if isinstance(left, cst.SimpleString):
        left, right = right, left
    flag = key_of(left)
    if flag not in words or not isinstance(right, cst.SimpleString) or not isinstance(operator, (cst.Equal, cst.NotEqual)):
        return None
    says_training = right.evaluated_value == words[flag]
    return flag, says_training == isinstance(operator, cst.NotEqual)
