"""Readers of ``if`` tests: plain flags, attribute flags and ``name == literal`` (``phase == 'train'``)."""
from __future__ import annotations

import re

import libcst as cst

from bn_lint.semantic.syntax.walk import walk

from .keys import computed_lookup, key_of


def _negated(test: cst.BaseExpression) -> bool:
    """``not x``, ``a not in b``, ``a != b``, ``a is not b``, or an ``and`` of such: a test that excludes."""
    if isinstance(test, cst.UnaryOperation):
        return isinstance(test.operator, cst.Not)
    if isinstance(test, cst.Comparison):
        return all(isinstance(c.operator, (cst.NotIn, cst.NotEqual, cst.IsNot)) for c in test.comparisons)
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _negated(test.left) and _negated(test.right)
    return False


def without_not(test: cst.BaseExpression) -> tuple[cst.BaseExpression, bool]:
    """A test without its leading ``not``s, and the outcome of what is left that makes the whole test true."""
    outcome = True
    while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, outcome = test.expression, not outcome
    return test, outcome


def attribute_flag(test: cst.BaseExpression) -> tuple[str, bool] | None:
    """A test as (access path, outcome that makes the path true) when it is an attribute read as a flag
    (``args.freeze``, ``not self.cfg.freeze``); None otherwise."""
    test, outcome = without_not(test)
    path = key_of(test) if isinstance(test, cst.Attribute) else None
    return None if path is None else (path, outcome)


_COMPARISONS = {"Equal": True, "Is": True, "NotEqual": False, "IsNot": False}


def _condition(test: cst.BaseExpression) -> tuple[str, bool] | None:
    """A test as (key, outcome that makes the key true) when it is a plain flag (``train``,
    ``not is_val``, ``self.training``) or a name compared to a literal (``phase == 'train'``, ``mode != "val"``)."""
    test, outcome = without_not(test)
    if isinstance(test, cst.Name):
        return (None if test.value in ("True", "False", "None") else (test.value, outcome))
    if isinstance(test, cst.Attribute) and isinstance(test.value, cst.Name) and test.value.value == "self":
        return f"self.{test.attr.value}", outcome  # (`self.training = train`, then `if self.training:`)
    if not (isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name) and len(test.comparisons) == 1):
        return None
    target = test.comparisons[0]
    equal = _COMPARISONS.get(type(target.operator).__name__)
    literal = _literal(target.comparator)
    if equal is None or literal is _NOT_LITERAL:
        return None
    return f"{test.left.value}=={literal!r}", outcome == equal


_NOT_LITERAL = object()


def _literal(node: cst.BaseExpression | None) -> object:
    """The value of a string, integer, True/False/None literal (``_NOT_LITERAL`` otherwise)."""
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:
            return _NOT_LITERAL
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    return _NOT_LITERAL


def _condition_name(key: str) -> str:
    return key.split("==", 1)[0]


def holds(key: str, literal: object) -> bool:
    """Whether the test ``key`` (see ``_condition``; its outcome True) holds when its name is ``literal``."""
    name = _condition_name(key)
    return bool(literal) if name == key else f"{name}=={literal!r}" == key


def name_guard(node: cst.If) -> bool:
    """``if isinstance(name, str): net = getattr(self, 'net' + name)``: a guard that an item is a name, around a body
    that looks a part up by it (without ``else``): taken to hold, a part's name being a string."""
    test = node.test
    if node.orelse is not None or not (isinstance(test, cst.Call) and isinstance(test.func, cst.Name)
                                       and test.func.value == "isinstance" and len(test.args) == 2
                                       and isinstance(test.args[0].value, cst.Name)
                                       and isinstance(test.args[1].value, cst.Name) and test.args[1].value.value == "str"):
        return False
    name = test.args[0].value.value
    return any((found := computed_lookup(call)) is not None
               and any(isinstance(n, cst.Name) and n.value == name for n in walk(found[1])) for call in walk(node.body))


def constant_flag(model, test: cst.BaseExpression, scope) -> bool | None:
    """The outcome of ``if LOAD_MODEL:`` / ``if not LOAD_MODEL:`` where the name is bound once, at module level, to
    ``True`` or ``False`` and no ``global`` statement rebinds it: a setting the script fixes, the branch it rules out
    is no path; None for any other test."""
    test, outcome = without_not(test)
    if not isinstance(test, cst.Name):
        return None
    found = model.bindings(test.value, scope)
    if found is None or found[1].kind != "module" or len(found[0]) != 1:
        return None
    value = found[0][0]
    if not (isinstance(value, cst.Name) and value.value in ("True", "False")):
        return None
    if re.search(r"\bglobal\b[^\n]*\b" + re.escape(test.value) + r"\b", model.source):
        return None
    return (value.value == "True") == outcome
