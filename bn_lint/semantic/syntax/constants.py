"""Turn an expression into a Python constant when the code makes it certain.

``UNKNOWN`` means the value cannot be shown from the code; rules stay silent
then. Names resolve through the scope chain of the semantic model when they
are bound exactly once (or every binding agrees).
"""
from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.syntax.followed import Answers, through

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


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

# libcst's operator class names (keys are names: libcst is imported on first use, see lazy.py)
ARITHMETIC = {
    "Add": operator.add,
    "Subtract": operator.sub,
    "Multiply": operator.mul,
    "FloorDivide": operator.floordiv,
    "Divide": operator.truediv,
    "Modulo": operator.mod,
    "Power": operator.pow,
}


def literal_number(expr: cst.BaseExpression) -> int | float | None:
    """The value of a plain numeric literal (``3``, ``-0.9``, ``1e-3``), else None."""
    # (``type(x) is``: libcst's node classes are ABCs, and this runs for every expression evaluated)
    negate = False
    kind = type(expr)
    if kind is cst.UnaryOperation:
        sign = type(expr.operator)  # type: ignore[attr-defined]
        if sign is not cst.Minus and sign is not cst.Plus:
            return None
        negate = sign is cst.Minus
        expr = expr.expression  # type: ignore[attr-defined]
        kind = type(expr)
    if kind is cst.Integer:
        value: int | float = int(expr.value.replace("_", ""), 0)  # type: ignore[attr-defined]
    elif kind is cst.Float:
        value = float(expr.value.replace("_", ""))  # type: ignore[attr-defined]
    else:
        return None
    return -value if negate else value


def literal_string(expr: cst.SimpleString | cst.ConcatenatedString) -> Any:
    """The value of a string literal (``evaluated_value``); UNKNOWN where it cannot be worked out."""
    if type(expr) is cst.SimpleString:
        raw = expr.value
        if raw[0] in "'\"" and "\\" not in raw and "\r" not in raw:
            # no prefix, no escapes: the text between the quotes (``evaluated_value`` compiles each literal)
            quotes = 3 if raw[:3] in ('"""', "'''") else 1
            return raw[quotes:-quotes]
    try:
        return expr.evaluated_value
    except Exception:  # pragma: no cover - odd prefixes
        return UNKNOWN


def evaluate(expr: cst.BaseExpression, model: "FileModel", scope: "Scope | None",
             following: frozenset[int] = frozenset()) -> Any:
    """The constant value of ``expr``, or UNKNOWN. Names are followed to what they are bound to however
    far (``following``: the bindings on the way, so that one that needs its own value is UNKNOWN)."""
    number = literal_number(expr)
    if number is not None:
        return number
    if isinstance(expr, cst.Name):
        if expr.value in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[expr.value]
        bound = model.binding(expr.value, scope)
        return UNKNOWN if bound is None else _bound_value(model, *bound, following)
    if isinstance(expr, cst.SimpleString):
        return literal_string(expr)
    if isinstance(expr, cst.FormattedString):  # `f"uda.{name}.Model"` with `name` a constant
        return _formatted(expr, model, scope, following)
    if isinstance(expr, cst.UnaryOperation):
        inner = evaluate(expr.expression, model, scope, following)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            if isinstance(expr.operator, cst.Minus):
                return -inner
            if isinstance(expr.operator, cst.Plus):
                return inner
        if isinstance(expr.operator, cst.Not) and inner is not UNKNOWN:
            return not inner
        return UNKNOWN
    if isinstance(expr, cst.BinaryOperation):
        op = ARITHMETIC.get(type(expr.operator).__name__)
        if op is None:
            return UNKNOWN
        left = evaluate(expr.left, model, scope, following)
        right = evaluate(expr.right, model, scope, following)
        if not _is_num(left) or not _is_num(right):
            return UNKNOWN
        try:
            return op(left, right)
        except (ArithmeticError, ValueError):
            return UNKNOWN
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("int", "float"):
        if len(expr.args) == 1 and not expr.args[0].keyword and not expr.args[0].star:
            inner = evaluate(expr.args[0].value, model, scope, following)
            if _is_num(inner):
                return int(inner) if expr.func.value == "int" else float(inner)
        return UNKNOWN
    return UNKNOWN


class _Constants(Answers):
    """The constant each binding of one file holds."""


def _bound_value(model: "FileModel", value_expr: cst.BaseExpression, value_scope: "Scope",
                 following: frozenset[int]) -> Any:
    return through(model, _Constants, value_expr, following,
                   lambda deeper: evaluate(value_expr, model, value_scope, deeper), UNKNOWN)


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ------------------------------------------------------------ symbolic widths
# A width the code does not fix to a number is a polynomial over *atoms*: unknowns
# such as a constructor parameter (``planes``), an attribute of one (``block.expansion``)
# or an expression the algebra does not model (``int(planes * w / 64)``, named by its
# structure so that two copies of it are the same atom).
import re  # noqa: E402
from fractions import Fraction  # noqa: E402

_AT = re.compile(r"@\d+")


class Sym:
    """A polynomial with rational coefficients over named atoms (immutable)."""

    __slots__ = ("terms", "_key")

    def __init__(self, terms: dict[tuple[str, ...], Fraction]) -> None:
        self.terms = {m: c for m, c in terms.items() if c != 0}
        self._key = tuple(sorted(self.terms.items()))

    @staticmethod
    def atom(name: str) -> "Sym":
        return Sym({(name,): Fraction(1)})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sym) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return show_width(self)

    def atoms(self) -> set[str]:
        return {a for m in self.terms for a in m}


Width = Any  # int | Sym | UNKNOWN


def _poly(value: Any) -> dict[tuple[str, ...], Fraction] | None:
    if isinstance(value, _FracConst):
        return {(): value.value}
    if isinstance(value, Sym):
        return value.terms
    if _is_num(value):
        try:
            return {(): Fraction(value)}
        except (ValueError, OverflowError):
            return None
    return None


def _normal(terms: dict[tuple[str, ...], Fraction]) -> Any:
    terms = {m: c for m, c in terms.items() if c != 0}
    if not terms:
        return 0
    if set(terms) == {()}:
        c = terms[()]
        return int(c) if c.denominator == 1 else float(c)
    return Sym(terms)


def sym_add(a: Any, b: Any, sign: int = 1) -> Any:
    pa, pb = _poly(a), _poly(b)
    if pa is None or pb is None:
        return UNKNOWN
    out = dict(pa)
    for m, c in pb.items():
        out[m] = out.get(m, Fraction(0)) + sign * c
    return _normal(out)


def sym_mul(a: Any, b: Any) -> Any:
    pa, pb = _poly(a), _poly(b)
    if pa is None or pb is None or len(pa) * len(pb) > 64:
        return UNKNOWN
    out: dict[tuple[str, ...], Fraction] = {}
    for ma, ca in pa.items():
        for mb, cb in pb.items():
            m = tuple(sorted(ma + mb))
            out[m] = out.get(m, Fraction(0)) + ca * cb
    return _normal(out)


def sym_div(a: Any, b: Any) -> Any:
    """``a / b`` when ``b`` is a non-zero constant."""
    pb = _poly(b)
    if pb is None or set(pb) != {()} or pb[()] == 0:
        return UNKNOWN
    if _is_num(a):
        return a / b
    return sym_mul(a, _FracConst(1 / pb[()]))


class _FracConst:
    """An exact rational constant for :func:`sym_mul` (not a public value)."""

    def __init__(self, value: Fraction) -> None:
        self.value = value


def sym_opaque(op: str, *parts: Any) -> Any:
    """An atom standing for ``op(parts)``: equal for equal parts, unknown if a part is."""
    if any(p is UNKNOWN or not (isinstance(p, Sym) or _is_num(p)) for p in parts):
        return UNKNOWN
    return Sym.atom(f"{op}({', '.join(show_width(p, internal=True) for p in parts)})")


def sym_int(a: Any) -> Any:
    """``int(a)``: exact when every coefficient is an integer."""
    if _is_num(a):
        return int(a)
    if isinstance(a, Sym):
        if all(c.denominator == 1 for c in a.terms.values()):
            return a
        return sym_opaque("int", a)
    return UNKNOWN


def sym_floordiv(a: Any, b: Any) -> Any:
    if _is_num(a) and _is_num(b):
        try:
            return a // b
        except ArithmeticError:
            return UNKNOWN
    if isinstance(a, Sym) and isinstance(b, int) and b and all(c.denominator == 1 and c.numerator % b == 0 for c in a.terms.values()):
        return _normal({m: c / b for m, c in a.terms.items()})
    quotient = sym_opaque("floordiv", a, b)
    if isinstance(quotient, Sym) and isinstance(b, int) and not isinstance(b, bool) and b >= 2:
        _QUOTIENTS[next(iter(quotient.atoms()))] = (a, b)
    return quotient


# the atom of ``a // k`` (k >= 2) -> (a, k): bounds for :func:`widths_differ`, a/k - (k-1)/k <= a // k <= a/k
_QUOTIENTS: dict[str, tuple[Any, int]] = {}


def is_width(value: Any) -> bool:
    """An int (not bool) or a symbolic width."""
    return isinstance(value, Sym) or (isinstance(value, int) and not isinstance(value, bool))


def widths_equal(a: Any, b: Any) -> bool:
    """Provably equal (as numbers, or as polynomials over the same atoms)."""
    if not is_width(a) or not is_width(b):
        return False
    return sym_add(a, b, -1) == 0


def widths_differ(a: Any, b: Any, positive: "set[str] | frozenset[str] | None" = None) -> bool:
    """Provably different. ``positive``: atoms known to be at least 1 (widths, expansions).

    The difference must be a non-zero constant, or a polynomial whose coefficients all
    have the same sign and whose atoms are all known to be positive.
    """
    if not is_width(a) or not is_width(b):
        return False
    d = sym_add(a, b, -1)
    if d is UNKNOWN:
        return False
    if not isinstance(d, Sym):
        return d != 0
    if positive is None:
        return False
    if d.atoms() <= set(positive):
        return _sign(d) != 0
    # `h // 2` against `h`: bound each quotient above and below, and see both bounds on one side of 0
    quotients = [m for m in d.terms if len(m) == 1 and m[0] in _QUOTIENTS]
    if not quotients:
        return False
    high, low = dict(d.terms), dict(d.terms)
    for mono in quotients:
        a, k = _QUOTIENTS[mono[0]]
        c = high.pop(mono)
        low.pop(mono)
        for bound, slack in ((high, 0 if c > 0 else Fraction(k - 1, k)), (low, Fraction(k - 1, k) if c > 0 else 0)):
            shifted = sym_add(_normal(bound), sym_add(sym_mul(a, _FracConst(c / k)), _FracConst(-c * slack) if slack else 0))
            bound.clear()
            bound.update(_poly(shifted) or {(): Fraction(0)})
    for bound, wanted in ((high, -1), (low, 1)):
        value = _normal(bound)
        if isinstance(value, Sym) and not value.atoms() <= set(positive):
            continue
        if (_sign(value) if isinstance(value, Sym) else (value > 0) - (value < 0)) == wanted:
            return True
    return False


def _sign(value: "Sym") -> int:
    """The sign of a polynomial over atoms that are at least 1, when the code shows it: with every
    non-constant coefficient of one sign, the polynomial moves that way from its value at all atoms = 1
    (``-3*h/2 + 1 < 0``); 0 when unknown."""
    varying = [c for m, c in value.terms.items() if m]
    at_one = sum(value.terms.values())
    if varying and all(c < 0 for c in varying):
        return -1 if at_one < 0 else 0
    if varying and all(c > 0 for c in varying):
        return 1 if at_one > 0 else 0
    return 0 if varying else (at_one > 0) - (at_one < 0)


def show_width(value: Any, internal: bool = False) -> str:
    """Readable form: ``64``, ``4*planes``, ``planes + 32``."""
    if not isinstance(value, Sym):
        return repr(value) if value is not UNKNOWN else "?"
    parts = []
    for mono, coeff in sorted(value.terms.items(), key=lambda t: (-len(t[0]), t[0])):
        names = "*".join(a if internal else _AT.sub("", a) for a in mono)
        c = int(coeff) if coeff.denominator == 1 else coeff
        if not names:
            parts.append(str(c))
        elif c == 1:
            parts.append(names)
        elif c == -1:
            parts.append(f"-{names}")
        else:
            parts.append(f"{c}*{names}")
    return " + ".join(parts).replace("+ -", "- ")


def _formatted(expr: cst.FormattedString, model: "FileModel", scope: "Scope | None", following: frozenset[int]) -> Any:
    """The text of an f-string whose placeholders all hold constant strings or integers, or UNKNOWN."""
    if "b" in expr.prefix.lower():
        return UNKNOWN
    text = []
    for part in expr.parts:
        if isinstance(part, cst.FormattedStringText):
            if "\\" in part.value:
                return UNKNOWN  # (an escape sequence: the text is not the value)
            text.append(part.value.replace("{{", "{").replace("}}", "}"))
            continue
        if part.conversion is not None or part.format_spec is not None:
            return UNKNOWN
        value = evaluate(part.expression, model, scope, following)
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            return UNKNOWN
        text.append(str(value))
    return "".join(text)
