"""Turn an expression into a Python constant when the code makes it certain.

``UNKNOWN`` means the value cannot be shown from the code; rules stay silent
then. Names resolve through the scope chain of the semantic model when they
are bound exactly once (or every binding agrees).
"""
from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from .model import FileModel, Scope


class _Unknown:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()

_BINOPS = {
    cst.Add: operator.add,
    cst.Subtract: operator.sub,
    cst.Multiply: operator.mul,
    cst.FloorDivide: operator.floordiv,
    cst.Divide: operator.truediv,
    cst.Modulo: operator.mod,
    cst.Power: operator.pow,
}
_MAX_DEPTH = 12


def literal_number(expr: cst.BaseExpression) -> int | float | None:
    """The value of a plain numeric literal (``3``, ``-0.9``, ``1e-3``), else None."""
    negate = False
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
        negate = isinstance(expr.operator, cst.Minus)
        expr = expr.expression
    if isinstance(expr, cst.Integer):
        value: int | float = int(expr.value.replace("_", ""), 0)
    elif isinstance(expr, cst.Float):
        value = float(expr.value.replace("_", ""))
    else:
        return None
    return -value if negate else value


def evaluate(expr: cst.BaseExpression, model: "FileModel", scope: "Scope | None", depth: int = 0) -> Any:
    """The constant value of ``expr``, or UNKNOWN."""
    if depth > _MAX_DEPTH:
        return UNKNOWN
    number = literal_number(expr)
    if number is not None:
        return number
    if isinstance(expr, cst.Name):
        if expr.value in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[expr.value]
        bound = model.binding(expr.value, scope)
        if bound is None:
            return UNKNOWN
        value_expr, value_scope = bound
        return evaluate(value_expr, model, value_scope, depth + 1)
    if isinstance(expr, cst.SimpleString):
        try:
            return expr.evaluated_value
        except Exception:  # pragma: no cover - odd prefixes
            return UNKNOWN
    if isinstance(expr, cst.UnaryOperation):
        inner = evaluate(expr.expression, model, scope, depth + 1)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            if isinstance(expr.operator, cst.Minus):
                return -inner
            if isinstance(expr.operator, cst.Plus):
                return inner
        if isinstance(expr.operator, cst.Not) and inner is not UNKNOWN:
            return not inner
        return UNKNOWN
    if isinstance(expr, cst.BinaryOperation):
        op = _BINOPS.get(type(expr.operator))
        if op is None:
            return UNKNOWN
        left = evaluate(expr.left, model, scope, depth + 1)
        right = evaluate(expr.right, model, scope, depth + 1)
        if not _is_num(left) or not _is_num(right):
            return UNKNOWN
        try:
            return op(left, right)
        except (ArithmeticError, ValueError):
            return UNKNOWN
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("int", "float"):
        if len(expr.args) == 1 and not expr.args[0].keyword and not expr.args[0].star:
            inner = evaluate(expr.args[0].value, model, scope, depth + 1)
            if _is_num(inner):
                return int(inner) if expr.func.value == "int" else float(inner)
        return UNKNOWN
    return UNKNOWN


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
