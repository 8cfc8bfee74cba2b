"""Tests the mode flow follows: plain flags and ``name == literal`` (``phase == 'train'``)."""
from __future__ import annotations

import re

import libcst as cst


def _negated(test: cst.BaseExpression) -> bool:
    """``not x``, ``a not in b``, ``a != b``, ``a is not b``, or an ``and`` of such: a test that excludes."""
    if isinstance(test, cst.UnaryOperation):
        return isinstance(test.operator, cst.Not)
    if isinstance(test, cst.Comparison):
        return all(isinstance(c.operator, (cst.NotIn, cst.NotEqual, cst.IsNot)) for c in test.comparisons)
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _negated(test.left) and _negated(test.right)
    return False


_COMPARISONS = {"Equal": True, "Is": True, "NotEqual": False, "IsNot": False}


def _condition(test: cst.BaseExpression) -> tuple[str, bool] | None:
    """A test as (key, outcome that makes the key true) when it is a plain flag (``train``,
    ``not is_val``, ``self.training``) or a name compared to a literal (``phase == 'train'``, ``mode != "val"``)."""
    outcome = True
    while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, outcome = test.expression, not outcome
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


# a test on a flag that chooses a mode, a phase or a BatchNorm treatment: an `.eval()` under it is the code's choice
_MODE_WORDS = re.compile(r"(?i)train|eval|test|valid|val_|infer|predict|mode|phase|bn|batch_?norm|freez|frozen|"
                         r"fine_?tun|finetun|stage|dropout|determin|deploy|export|demo|inference")


def optional_branch(model, node) -> "cst.If | None":
    """The ``if`` whose body holds ``node`` (the nearest, in the same function) when the code may skip it: no
    ``else``, and a test on no flag of a mode or phase (``if resume:``, ``if args.checkpoint:``)."""
    for ancestor in model.ancestors(node) if node is not None else ():
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.For, cst.While, cst.With, cst.Try)):
            return None
        if isinstance(ancestor, cst.If):
            if ancestor.orelse is not None or _MODE_WORDS.search(model.code(ancestor.test)) \
                    or _tests_receiver(model, ancestor.test, node):
                return None
            return ancestor
    return None


def _tests_receiver(model, test: cst.BaseExpression, call) -> bool:
    """Whether ``test`` reads the module ``call`` puts in eval (``if isinstance(net, nn.Module): net.eval()``,
    ``if model is not None``): a guard on that very object, which holds whenever it is a module."""
    func = call.func if isinstance(call, cst.Call) else None
    receiver = func.value if isinstance(func, cst.Attribute) else None
    while isinstance(receiver, (cst.Attribute, cst.Subscript, cst.Call)):
        receiver = receiver.func if isinstance(receiver, cst.Call) else receiver.value
    return isinstance(receiver, cst.Name) and re.search(rf"\b{re.escape(receiver.value)}\b", model.code(test)) is not None
