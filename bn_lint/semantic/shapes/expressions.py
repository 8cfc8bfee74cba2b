"""Expressions for the chain interpreter (see :mod:`.chains`): numbers and widths computed
symbolically; attributes, subscripts, comparisons, containers, comprehensions and lambdas; and
which producers' outputs escape to other uses than a BatchNorm (their bias matters there)."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.nn_modules.uses import iterated_not_called
from bn_lint.semantic.project.annotated_classes import entry_default
from bn_lint.semantic.shapes import sources as shape_sources
from bn_lint.semantic.shapes.comprehensions import comprehension, lambda_value
from bn_lint.semantic.shapes.frame import Frame, _is_self
from bn_lint.semantic.shapes.values import (
    GAP, Chain, ClassRef, LayerClass, Tensor, _concrete_items, _is_same, _numeric, _numeric_const, _plain,
    _truth, any_item, item_at, one_of,
)
from bn_lint.semantic.syntax.constants import (
    UNKNOWN, Sym, literal_number, literal_string, sym_add, sym_div, sym_floordiv, sym_mul, sym_opaque,
)

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.shapes.producers import ChainAnalysis


_EVALUATED = {  # libcst class name -> the method evaluating it: of this part, of a part of the chain (`calls.call`), or
    #             a function given the chain (libcst is imported on first use: lazy.py)
    "Integer": "_eval_number",
    "Float": "_eval_number",
    "Name": "_eval_name",
    "SimpleString": "_eval_string",
    "ConcatenatedString": "_eval_string",
    "FormattedString": "_eval_fstring",
    "Attribute": "_attribute",
    "Call": "calls.call",
    "BinaryOperation": "_eval_binary",
    "UnaryOperation": "_eval_unary",
    "BooleanOperation": "_eval_boolean",
    "Comparison": "_compare",
    "IfExp": "_eval_ifexp",
    "List": "_eval_sequence",
    "Tuple": "_eval_sequence",
    "Dict": "_eval_dict",
    "Subscript": "_subscript",
    "ListComp": comprehension,
    "GeneratorExp": comprehension,
    "SetComp": comprehension,
    "DictComp": comprehension,
    "Lambda": lambda_value,
}


def _evaluator(expressions: "ChainExpressions", chain: "ChainAnalysis", how: Any) -> Any:
    """The callable ``_EVALUATED`` names, taking ``(expr, frame)``."""
    if not isinstance(how, str):
        return functools.partial(how, chain)
    part, _, name = how.rpartition(".")
    return getattr(getattr(chain, part) if part else expressions, name)


class ChainExpressions:
    """Evaluates expressions in a :class:`~.frame.Frame`; a part of :class:`~.producers.ChainAnalysis`."""

    def __init__(self, chain: "ChainAnalysis") -> None:
        """Made after the chain's other parts (the evaluator of calls is one of them)."""
        self.chain = chain
        self._held: list[Any] = []  # values whose id() names an atom
        self._evaluators = {node: _evaluator(self, chain, how) for node, how in _EVALUATED.items()}

    def evaluate(self, expr: cst.BaseExpression | None, frame: Frame) -> Any:
        value = self._eval_inner(expr, frame)
        if isinstance(value, Tensor) and value.direct and value.producer is not None and not self._feeds_module(expr):
            self.chain.escaped.add(value.producer)
        return value

    def _feeds_module(self, expr: cst.BaseExpression | None) -> bool:
        """``expr``'s value goes only to a module call, a plain name, or nowhere."""
        parent = self.chain.model.parent(expr) if expr is not None else None
        if isinstance(parent, cst.Arg) and not parent.star and not parent.keyword:
            return self.chain.model.parent(parent) in self.chain._module_calls
        if isinstance(parent, cst.Assign):
            return len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name)
        if isinstance(parent, cst.AnnAssign):
            return isinstance(parent.target, cst.Name)
        return isinstance(parent, cst.Expr)

    def escape(self, value: Any) -> None:
        if isinstance(value, Tensor) and value.direct and value.producer is not None:
            self.chain.escaped.add(value.producer)

    def _eval_inner(self, expr: cst.BaseExpression | None, frame: Frame) -> Any:
        if expr is None:
            return None
        self.chain._tick()
        evaluator = self._evaluators.get(type(expr).__name__)  # a table by node class: isinstance on libcst's ABCs is slow
        return evaluator(expr, frame) if evaluator is not None else UNKNOWN

    def _eval_number(self, expr: cst.BaseExpression, frame: Frame) -> Any:
        number = literal_number(expr)
        return UNKNOWN if number is None else number

    def _eval_name(self, expr: cst.Name, frame: Frame) -> Any:
        return self.chain.names.lookup(expr.value, frame)

    def _eval_string(self, expr: cst.SimpleString | cst.ConcatenatedString, frame: Frame) -> Any:
        return literal_string(expr)

    def _eval_binary(self, expr: cst.BinaryOperation, frame: Frame) -> Any:
        left = self.evaluate(expr.left, frame)
        right = self.evaluate(expr.right, frame)
        return self.binop(expr.operator, left, right, frame, expr)

    def _eval_unary(self, expr: cst.UnaryOperation, frame: Frame) -> Any:
        number = literal_number(expr)
        if number is not None:
            return number
        inner = self.evaluate(expr.expression, frame)
        if isinstance(expr.operator, cst.Not):
            truth = _truth(inner)
            return UNKNOWN if truth is None else not truth
        if isinstance(expr.operator, cst.Minus):
            return sym_mul(inner, -1) if _numeric(inner) else UNKNOWN
        return inner if _numeric(inner) else UNKNOWN

    def _eval_boolean(self, expr: cst.BooleanOperation, frame: Frame) -> Any:
        left = self.evaluate(expr.left, frame)
        truth = _truth(left)
        is_or = isinstance(expr.operator, cst.Or)
        if truth is (not is_or):
            return self.evaluate(expr.right, frame)
        if truth is is_or:
            return left
        return self.chain.statements.merge(left, self.evaluate(expr.right, frame))

    def _eval_ifexp(self, expr: cst.IfExp, frame: Frame) -> Any:
        truth = _truth(self.evaluate(expr.test, frame))
        if truth is True:
            return self.evaluate(expr.body, frame)
        if truth is False:
            return self.evaluate(expr.orelse, frame)
        return self.chain.statements.merge(self.evaluate(expr.body, frame), self.evaluate(expr.orelse, frame))

    def _eval_sequence(self, expr: cst.List | cst.Tuple, frame: Frame) -> Any:
        items: list[Any] = []
        for element in expr.elements:
            if isinstance(element, cst.StarredElement):
                inner = _concrete_items(self.evaluate(element.value, frame))
                if inner is None:
                    if isinstance(expr, cst.Tuple):
                        return UNKNOWN
                    items.append(GAP)
                else:
                    items.extend(inner)
            else:
                items.append(self.evaluate(element.value, frame))
        if isinstance(expr, cst.Tuple):
            return tuple(items)
        if iterated_not_called(self.chain.model, expr):  # (a list that becomes such a container: `nn.Sequential(*layer)`)
            return Chain(tuple(items), Tensor(), False, None if GAP in items else (), True)
        return self.chain.layers.extend(Chain((), Tensor()), items)

    def _eval_dict(self, expr: cst.Dict, frame: Frame) -> Any:
        out = {}
        for element in expr.elements:
            if not isinstance(element, cst.DictElement):
                return UNKNOWN
            key = self.evaluate(element.key, frame)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                return UNKNOWN
            out[key] = self.evaluate(element.value, frame)
        return out

    def _eval_fstring(self, expr: cst.FormattedString, frame: Frame) -> Any:
        """``f"BatchNorm{dims}d"`` when every part is known (a string or an integer), else UNKNOWN."""
        text = []
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                text.append(part.value)
                continue
            if part.format_spec is not None or part.conversion is not None:
                return UNKNOWN
            value = self.evaluate(part.expression, frame)
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                return UNKNOWN
            text.append(str(value))
        return "".join(text)

    def _attribute(self, expr: cst.Attribute, frame: Frame) -> Any:
        model = self.chain.model
        name = expr.attr.value
        if _is_self(expr.value) and frame.self_state is not None:
            state = frame.self_state
            if name in state.attrs:
                return state.attrs[name]
            return self.chain.names.class_constant(state.info, name)
        found = model.layer_class(expr, frame.scope)
        if found is not None:
            return LayerClass(found[0], tuple((k, UNKNOWN) for k in found[1]))
        qualname = model.qualname(expr)
        if qualname is not None:
            return self.chain.names.imported_thing(qualname)
        base = self.evaluate(expr.value, frame)
        if isinstance(base, ClassRef) and base.name in model.classes:
            return self.chain.names.class_constant(model.classes[base.name], name)
        if isinstance(base, Sym) and len(base.terms) == 1:
            (mono, coeff), = base.terms.items()
            if len(mono) == 1 and coeff == 1:
                atom = f"{mono[0]}.{name}"
                self.chain.positive.add(atom)
                root = mono[0].partition(".")[0]  # (`cfg@<id>` of `cfg@<id>.MODEL.DIM`: a tree's entry)
                if root in self.chain.annotated and atom not in self.chain.defaults:
                    self._declared_default(atom, *self.chain.annotated[root], atom.partition(".")[2])
                return Sym.atom(atom)
        if isinstance(base, Tensor) and name == "shape":
            return self.chain.tensors.shape_of(base)
        return UNKNOWN

    def _declared_default(self, atom: str, param: cst.Param, function: cst.FunctionDef, name: str) -> None:
        """For ``cfg.out_dim`` of a parameter ``cfg: Config``: the positive int ``Config`` declares for
        ``out_dim`` (``out_dim: int = 128``, in this file or another), as the atom's default (see
        ``checks._defaults_in_use``: used only where no call of the function gives another)."""
        found = entry_default(self.chain.model, param, name)  # (`cfg.MODEL.DIM` of `cfg: CfgNode`: the tree of defaults)
        value = found[0].value(found[1], found[2]) if found is not None else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            self.chain.defaults[atom] = (value, function)

    def _subscript(self, expr: cst.Subscript, frame: Frame) -> Any:
        base = self.evaluate(expr.value, frame)
        if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Slice) and not isinstance(base, Tensor):
            return self._slice(base, expr.slice[0].slice, frame)  # `dims[:-1]`
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
            return Tensor() if isinstance(base, Tensor) else UNKNOWN
        key = self.evaluate(expr.slice[0].slice.value, frame)
        if isinstance(base, dict):  # (a key not known here: whichever value it reads, when they agree)
            return base.get(key, UNKNOWN) if isinstance(key, (str, int)) else one_of(list(base.values()))
        items = _concrete_items(base)
        if items is not None and isinstance(key, int) and not isinstance(key, bool) and -len(items) <= key < len(items):
            return items[key]
        if isinstance(base, Tensor):
            return Tensor()
        if isinstance(base, Chain) and not base.sequential:  # a list with a loop's appends in it
            found = item_at(base, key) if isinstance(key, int) and not isinstance(key, bool) else any_item(base)
            if found is not UNKNOWN:
                return found
        if isinstance(key, (int, str)) and not isinstance(key, bool):
            if isinstance(base, Sym):
                return sym_opaque("getitem", base, key) if isinstance(key, int) else Sym.atom(f"{base!r}[{key!r}]@{id(base)}")
            if isinstance(base, Chain) and not base.sequential:
                self._held.append(base)
                return Sym.atom(f"item[{key!r}]@{id(base)}")
        return UNKNOWN

    def _slice(self, base: Any, part: cst.Slice, frame: Frame) -> Any:
        """``widths[1:]`` of a sequence whose items are known: a tuple of them."""
        items = _concrete_items(base)
        bounds = [self.evaluate(b, frame) if b is not None else None for b in (part.lower, part.upper, part.step)]
        if items is None or not all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in bounds):
            return UNKNOWN
        if bounds[2] == 0:
            return UNKNOWN
        return tuple(items[slice(*bounds)])

    def _compare(self, expr: cst.Comparison, frame: Frame) -> Any:
        left = self.evaluate(expr.left, frame)
        result: Any = True
        for target in expr.comparisons:
            right = self.evaluate(target.comparator, frame)
            op = target.operator
            if isinstance(op, (cst.Is, cst.IsNot)):
                verdict = _is_same(left, right)
                if verdict is not None and isinstance(op, cst.IsNot):
                    verdict = not verdict
            elif isinstance(op, (cst.Equal, cst.NotEqual)):
                verdict = None
                if _plain(left) and _plain(right):
                    verdict = left == right
                elif (isinstance(left, Sym) and isinstance(right, str)) or (isinstance(left, str) and isinstance(right, Sym)):
                    verdict = None
                if verdict is not None and isinstance(op, cst.NotEqual):
                    verdict = not verdict
            elif isinstance(op, (cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual)) and _numeric_const(left) and _numeric_const(right):
                verdict = {cst.LessThan: left < right, cst.GreaterThan: left > right,
                           cst.LessThanEqual: left <= right, cst.GreaterThanEqual: left >= right}[type(op)]
            elif isinstance(op, (cst.In, cst.NotIn)) and _plain(left) and isinstance(right, (tuple, Chain)):
                items = _concrete_items(right)
                verdict = None if items is None or not all(_plain(i) for i in items) else left in items
                if verdict is not None and isinstance(op, cst.NotIn):
                    verdict = not verdict
            else:
                verdict = None
            if verdict is None:
                result = UNKNOWN
            elif verdict is False and result is not UNKNOWN:
                return False
            left = right
        return result

    def binop(self, op: cst.BaseBinaryOp | cst.BaseAugOp, left: Any, right: Any, frame: Frame, node: cst.CSTNode) -> Any:
        kind = type(op).__name__.replace("Assign", "")
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return shape_sources.tensor_binop(self.chain, kind, left, right, node)
        if kind == "Add":
            if isinstance(left, Chain) and isinstance(right, Chain):
                return self.chain.layers.extend(left, list(right.items))
            if isinstance(left, tuple) and isinstance(right, tuple):
                return left + right
            if isinstance(left, str) and isinstance(right, str):
                return left + right
            return sym_add(left, right) if _numeric(left) and _numeric(right) else UNKNOWN
        if not (_numeric(left) and _numeric(right)):
            return UNKNOWN
        if kind == "Subtract":
            return sym_add(left, right, -1)
        if kind == "Multiply":
            return sym_mul(left, right)
        if kind == "Divide":
            return sym_div(left, right)
        if kind == "FloorDivide":
            return sym_floordiv(left, right)
        if _numeric_const(left) and _numeric_const(right):
            try:
                if kind == "Modulo":
                    return left % right
                if kind == "Power" and abs(right) < 64:
                    return left ** right
            except ArithmeticError:
                return UNKNOWN
            return UNKNOWN
        return sym_opaque(kind.lower(), left, right)
