"""Expressions that certainly hold an int, whatever its value: ``int(...)``, ``len(...)``, ``x.size(1)``,
``x.shape[0]``, a parameter annotated ``int``, arithmetic of such, and names bound once to one."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.syntax.followed import Answers, through

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope

#: builtins whose result is an int (``round`` only with one argument)
INT_BUILTINS = frozenset({"int", "len", "round", "ord", "hash"})
#: library functions whose result is an int
INT_FUNCTIONS = frozenset({"math.floor", "math.ceil", "math.factorial", "math.gcd", "math.isqrt", "math.lcm",
                           "operator.index"})
#: methods whose result is an int, with how many positional arguments give one (``x.size(1)``, not ``x.size()``)
INT_METHODS = {"numel": 0, "dim": 0, "ndimension": 0, "nelement": 0, "size": 1, "bit_length": 0}
#: attributes that hold an int (``x.ndim``)
INT_ATTRIBUTES = frozenset({"ndim"})
# (by name: libcst is imported only when a file is parsed)
_INT_OPERATORS = frozenset({"FloorDivide", "Add", "Subtract", "Multiply", "Modulo", "LeftShift", "RightShift"})


class _IntTyped(Answers):
    """Whether each binding of one file certainly holds an int."""


def int_typed(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None",
              following: frozenset[int] = frozenset()) -> bool:
    """Whether ``expr`` certainly evaluates to an int (never a bool or a float); names are followed however
    far (a name bound to itself, ``n = n + 1``, is not known to)."""
    if isinstance(expr, cst.Integer):
        return True
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus, cst.BitInvert)):
        return int_typed(model, expr.expression, scope, following)
    if isinstance(expr, cst.BinaryOperation) and type(expr.operator).__name__ in _INT_OPERATORS:
        return int_typed(model, expr.left, scope, following) and int_typed(model, expr.right, scope, following)
    if isinstance(expr, cst.Call):
        return _int_call(model, expr, scope)
    if isinstance(expr, cst.Subscript):  # `x.shape[0]`, `x.size()[1]`: one dimension
        return (len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) and _shape(expr.value))
    if isinstance(expr, cst.Attribute):
        return expr.attr.value in INT_ATTRIBUTES
    if isinstance(expr, cst.Name):
        bound = model.bindings(expr.value, scope)
        if bound is not None:
            values, where = bound
            return bool(values) and all(
                through(model, _IntTyped, value, following, lambda deeper, v=value: int_typed(model, v, where, deeper), False)
                for value in values)
        return _int_parameter(expr, scope)
    return False


def _int_call(model: "FileModel", call: cst.Call, scope: "Scope | None") -> bool:
    func = call.func
    if isinstance(func, cst.Name) and func.value in INT_BUILTINS and model.binding(func.value, scope) is None \
            and func.value not in model.imports:
        return func.value != "round" or len(call.args) == 1
    if isinstance(func, cst.Attribute):
        wanted = INT_METHODS.get(func.attr.value)
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if wanted is not None and len(positional) == wanted == len(call.args):
            return True
    return model.qualname(func) in INT_FUNCTIONS


def _shape(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Attribute):
        return expr.attr.value == "shape"
    return (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "size"
            and not expr.args)


def _int_parameter(name: cst.Name, scope: "Scope | None") -> bool:
    """``name`` is a parameter annotated ``int`` (``output_dim: int``) that its function never rebinds."""
    while scope is not None and scope.kind not in ("function", "lambda"):
        scope = scope.parent
    if scope is None or name.value in scope.bindings or name.value in scope.opaque:
        return False
    param = scope.params.get(name.value)
    annotation = param.annotation.annotation if param is not None and param.annotation is not None else None
    return isinstance(annotation, cst.Name) and annotation.value == "int"
