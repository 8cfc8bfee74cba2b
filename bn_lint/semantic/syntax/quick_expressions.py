"""The expressions of a quick tree (``quick_tree.py``): libcst nodes made from the stdlib parser's."""
from __future__ import annotations

import ast
import dataclasses
import re
from typing import Any, Callable

import libcst as cst

from bn_lint.semantic.syntax.quick_spans import Span, _between, _rows

# one string literal (any prefix, either quote, single or triple), escapes honoured
_STRING = re.compile(r"""(?is)[a-z]*(?:'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\"|'(?:[^\\'\n]|\\.)*'|"(?:[^\\"\n]|\\.)*")""")
_BETWEEN = re.compile(r"(?:\s|\\\n|\\\r\n?|#[^\n\r]*)*")  # what may separate implicitly joined strings


class Unsupported(Exception):
    """Code this converter does not build (the caller parses it with libcst)."""


_new = object.__new__
_set = object.__setattr__


class _Makers:
    """``make.Call(func=..., args=...)``: a libcst node with these fields and the rest at libcst's defaults,
    built without ``__init__`` (no validation: the stdlib parser accepted the code). One function per
    class, generated on first use: setting a dozen slots by name is most of the conversion's time."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        cls = getattr(cst, name)
        params, lines, defaults = [], [], {}
        for field in dataclasses.fields(cls):
            if field.default is not dataclasses.MISSING:
                defaults[field.name] = field.default
            elif field.default_factory is not dataclasses.MISSING:  # (shared: whitespace nodes are immutable)
                defaults[field.name] = field.default_factory()
            params.append(f"{field.name}=_d_{field.name}" if field.name in defaults else field.name)
            lines.append(f"    _set(node, {field.name!r}, {field.name})")
        required = [p for p in params if "=" not in p]
        optional = [p for p in params if "=" in p]
        code = "def make({}):\n    node = _new(_cls)\n{}\n    return node".format(
            ", ".join(["*", *required, *optional] if params else []), "\n".join(lines))
        scope: dict[str, Any] = {"_new": _new, "_set": _set, "_cls": cls, **{f"_d_{k}": v for k, v in defaults.items()}}
        exec(code, scope)  # noqa: S102 - code generated above from libcst's own field list
        setattr(self, name, scope["make"])
        return scope["make"]


make = _Makers()


def make_class(cls: "type | str", **fields: Any) -> Any:
    """``make`` for a class, or a class name, known only when the code runs."""
    return getattr(make, cls if isinstance(cls, str) else cls.__name__)(**fields)


_BINARY = {
    ast.Add: "Add", ast.Sub: "Subtract", ast.Mult: "Multiply", ast.Div: "Divide",
    ast.FloorDiv: "FloorDivide", ast.Mod: "Modulo", ast.Pow: "Power", ast.MatMult: "MatrixMultiply",
    ast.LShift: "LeftShift", ast.RShift: "RightShift", ast.BitOr: "BitOr", ast.BitAnd: "BitAnd",
    ast.BitXor: "BitXor",
}
_AUGMENTED = {
    ast.Add: "AddAssign", ast.Sub: "SubtractAssign", ast.Mult: "MultiplyAssign", ast.Div: "DivideAssign",
    ast.FloorDiv: "FloorDivideAssign", ast.Mod: "ModuloAssign", ast.Pow: "PowerAssign",
    ast.MatMult: "MatrixMultiplyAssign", ast.LShift: "LeftShiftAssign", ast.RShift: "RightShiftAssign",
    ast.BitOr: "BitOrAssign", ast.BitAnd: "BitAndAssign", ast.BitXor: "BitXorAssign",
}
_UNARY = {ast.USub: "Minus", ast.UAdd: "Plus", ast.Not: "Not", ast.Invert: "BitInvert"}
_COMPARE = {
    ast.Eq: "Equal", ast.NotEq: "NotEqual", ast.Lt: "LessThan", ast.LtE: "LessThanEqual",
    ast.Gt: "GreaterThan", ast.GtE: "GreaterThanEqual", ast.Is: "Is", ast.IsNot: "IsNot",
    ast.In: "In", ast.NotIn: "NotIn",
}
_BOOLEAN = {ast.And: "And", ast.Or: "Or"}


class ExpressionBuilder:
    """One file's expressions: each ``ast`` node to its libcst node, recording where it is by ``id``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _rows(text)
        self.spans: dict[int, Span] = {}
        self.inside: set[int] = set()  # nodes whose span is set inside their parentheses already

    # ------------------------------------------------------------- source
    def source_of(self, node: ast.AST) -> str:
        return _between(self.lines, node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def starts_line(self, node: ast.AST) -> bool:
        """Whether only indentation precedes ``node`` on its line (a block's body, not a one-line suite)."""
        row = self.lines[node.lineno - 1]  # type: ignore[attr-defined]
        return not row.encode()[: node.col_offset].strip() if not row.isascii() else not row[: node.col_offset].strip()  # type: ignore[attr-defined]

    def spanned(self, node: Any, source: ast.AST) -> Any:
        self.spans[id(node)] = source
        return node

    def name(self, value: str, line: int, col: int) -> cst.Name:
        node = make.Name(value=value)
        self.spans[id(node)] = (line, col, line, col + len(value.encode()))
        return node

    # ------------------------------------------------------------- parameters
    def annotation(self, node: ast.expr) -> cst.Annotation:
        return self.spanned(make.Annotation(annotation=self.expr(node)), node)

    def parameters(self, args: ast.arguments) -> cst.Parameters:
        _no_duplicates(args)
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        params = [self.param(a, d) for a, d in zip(positional, defaults)]
        posonly, params = params[: len(args.posonlyargs)], params[len(args.posonlyargs):]
        kwonly = [self.param(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
        star_arg: Any = cst.MaybeSentinel.DEFAULT
        if args.vararg is not None:
            star_arg = self.param(args.vararg, None, "*")
        elif kwonly:
            star_arg = make.ParamStar()
        return make.Parameters(params=params, star_arg=star_arg, kwonly_params=kwonly,
                    star_kwarg=self.param(args.kwarg, None, "**") if args.kwarg is not None else None,
                    posonly_params=posonly, posonly_ind=make.ParamSlash() if posonly else cst.MaybeSentinel.DEFAULT)

    def param(self, a: ast.arg, default: ast.expr | None, star: str = "") -> cst.Param:
        node = make.Param(name=self.name(a.arg, a.lineno, a.col_offset),
                    annotation=self.annotation(a.annotation) if a.annotation is not None else None,
                    default=self.expr(default) if default is not None else None, star=star)
        end = default if default is not None else a
        col = a.col_offset
        if star and self.lines[a.lineno - 1].encode()[col - len(star): col] == star.encode():
            col -= len(star)  # (libcst's `*args` starts at its star)
        self.spans[id(node)] = (a.lineno, col, end.end_lineno, end.end_col_offset)
        return node

    # ------------------------------------------------------------- expressions

    def expr(self, node: ast.expr) -> cst.BaseExpression:
        method = _EXPRESSIONS.get(type(node))
        if method is None:
            raise Unsupported(type(node).__name__)
        built = method(self, node)
        key = id(built)
        if key not in self.inside:
            self.spans[key] = node  # (its place is read from the stdlib node when asked)
        return built

    def e_Name(self, e: ast.Name) -> cst.Name:
        return make.Name(value=e.id)

    def e_Constant(self, e: ast.Constant) -> cst.BaseExpression:
        value = e.value
        if value is None or value is True or value is False:
            return make.Name(value=str(value))
        if value is Ellipsis:
            return make.Ellipsis()
        if isinstance(value, (str, bytes)):
            return self.string(self.source_of(e), e)
        cls = cst.Integer if isinstance(value, int) else cst.Float if isinstance(value, float) else cst.Imaginary
        return make_class(cls, value=self.source_of(e))

    def string(self, source: str, e: ast.expr) -> cst.BaseString:
        """A literal's node: one string, or libcst's right-leaning pairs for implicitly joined ones."""
        found = _STRING.match(source)
        if found is not None and found.end() == len(source):  # (one literal: the common case)
            if isinstance(e, ast.JoinedStr):
                return self.piece(source, (0, 0), e.values)
            return make.SimpleString(value=source)
        pieces = []
        at = 0
        while at < len(source):
            found = _STRING.match(source, at)
            if found is None:
                raise Unsupported("string")
            pieces.append((found.group(), self.place(e, source, at), self.place(e, source, found.end())))
            at = _BETWEEN.match(source, found.end()).end()  # type: ignore[union-attr]
        if len(pieces) == 1 and isinstance(e, ast.JoinedStr):
            return self.piece(pieces[0][0], (0, 0), e.values)
        nodes = []
        for text, place, end in pieces:
            nodes.append(self.piece(text, place))
            self.spans[id(nodes[-1])] = (*place, *end)
        node = nodes[-1]
        for left in reversed(nodes[:-1]):
            node = make.ConcatenatedString(left=left, right=node)
        return node

    def place(self, e: Any, source: str, at: int) -> tuple[int, int]:
        """(line, byte column) of ``source[at]``, ``source`` being ``e``'s text."""
        before = source[:at]
        newlines = before.count("\n") + before.count("\r") - before.count("\r\n")
        if not newlines:
            return e.lineno, e.col_offset + len(before.encode())
        return e.lineno + newlines, len(re.split(r"\r\n?|\n", before)[-1].encode())

    def piece(self, text: str, place: tuple[int, int], values: list[ast.expr] | None = None) -> cst.BaseString:
        prefix = text[: len(text) - len(text.lstrip("rRbBuUfF"))]
        if "f" not in prefix.lower():
            return make.SimpleString(value=text)
        quote = text[len(prefix): len(prefix) + 3]
        quote = quote if quote in ('"""', "'''") else quote[0]
        parts: list[Any] = []
        if values is None:  # (one of joined strings: parsed alone, then moved to where it is)
            values = getattr(_moved(ast.parse("(" + text + ")", mode="eval"), place).body, "values", [])
        for value in values:
            if isinstance(value, ast.FormattedValue):
                parts.append(self.formatted(value))
            else:
                parts.append(make.FormattedStringText(value=str(getattr(value, "value", ""))))
        return make.FormattedString(parts=parts, start=prefix + quote, end=quote)

    def formatted(self, value: ast.FormattedValue) -> cst.FormattedStringExpression:
        expression = self.expr(value.value)
        conversion = chr(value.conversion) if value.conversion not in (-1, None) else None
        spec = None
        if value.format_spec is not None:
            spec = [self.formatted(v) if isinstance(v, ast.FormattedValue)
                    else make.FormattedStringText(value=str(getattr(v, "value", "")))
                    for v in getattr(value.format_spec, "values", ())]
        return make.FormattedStringExpression(expression=expression, conversion=conversion, format_spec=spec)

    def e_JoinedStr(self, e: ast.JoinedStr) -> cst.BaseString:
        return self.string(self.source_of(e), e)

    def e_Attribute(self, e: ast.Attribute) -> cst.Attribute:
        attr = self.name(e.attr, e.end_lineno, e.end_col_offset - len(e.attr.encode()))  # type: ignore[arg-type, operator]
        return make.Attribute(value=self.expr(e.value), attr=attr)

    def e_Call(self, e: ast.Call) -> cst.Call:
        alone = len(e.args) == 1 and not e.keywords
        pieces: list[tuple[ast.AST, cst.Arg]] = [(a, self.arg(a, alone)) for a in e.args]
        pieces += [(k, self.keyword(k)) for k in e.keywords]
        if e.args and e.keywords and _before(e.keywords[0], e.args[-1]):
            pieces.sort(key=lambda p: (p[0].lineno, p[0].col_offset))  # type: ignore[attr-defined]
        return make.Call(func=self.expr(e.func), args=[arg for _, arg in pieces])

    def arg(self, a: ast.expr, alone: bool = False) -> cst.Arg:
        if isinstance(a, ast.Starred):
            return self.spanned(make.Arg(value=self.expr(a.value), star="*"), a)
        if alone and isinstance(a, ast.GeneratorExp):  # (placed where its value is: its parentheses are the call's)
            return make.Arg(value=self.expr(a))
        return self.spanned(make.Arg(value=self.expr(a)), a)

    def keyword(self, k: ast.keyword) -> cst.Arg:
        if k.arg is None:
            return self.spanned(make.Arg(value=self.expr(k.value), star="**"), k)
        return self.spanned(make.Arg(value=self.expr(k.value), keyword=self.name(k.arg, k.lineno, k.col_offset)), k)

    def e_BinOp(self, e: ast.BinOp) -> cst.BinaryOperation:
        return make.BinaryOperation(left=self.expr(e.left), operator=make_class(_BINARY[type(e.op)]), right=self.expr(e.right))

    def e_UnaryOp(self, e: ast.UnaryOp) -> cst.UnaryOperation:
        return make.UnaryOperation(operator=make_class(_UNARY[type(e.op)]), expression=self.expr(e.operand))

    def e_BoolOp(self, e: ast.BoolOp) -> cst.BooleanOperation:
        cls = _BOOLEAN[type(e.op)]
        node: Any = self.expr(e.values[0])
        first = e.values[0]
        for value in e.values[1:-1]:
            node = make.BooleanOperation(left=node, operator=make_class(cls), right=self.expr(value))
            self.spans[id(node)] = (first.lineno, first.col_offset, value.end_lineno, value.end_col_offset)
        return make.BooleanOperation(left=node, operator=make_class(cls), right=self.expr(e.values[-1]))

    def e_Compare(self, e: ast.Compare) -> cst.Comparison:
        targets = [make.ComparisonTarget(operator=make_class(_COMPARE[type(op)]), comparator=self.expr(c))
                   for op, c in zip(e.ops, e.comparators)]
        return make.Comparison(left=self.expr(e.left), comparisons=targets)

    def e_IfExp(self, e: ast.IfExp) -> cst.IfExp:
        return make.IfExp(test=self.expr(e.test), body=self.expr(e.body), orelse=self.expr(e.orelse))

    def e_Lambda(self, e: ast.Lambda) -> cst.Lambda:
        return make.Lambda(params=self.parameters(e.args), body=self.expr(e.body))

    def e_NamedExpr(self, e: ast.NamedExpr) -> cst.NamedExpr:
        return make.NamedExpr(target=self.expr(e.target), value=self.expr(e.value))

    def e_Await(self, e: ast.Await) -> cst.Await:
        return make.Await(expression=self.expr(e.value))

    def e_Yield(self, e: ast.Yield) -> cst.Yield:
        return make.Yield(value=self.expr(e.value) if e.value is not None else None)

    def e_YieldFrom(self, e: ast.YieldFrom) -> cst.Yield:
        return make.Yield(value=make.From(item=self.expr(e.value)))

    def element(self, e: ast.expr) -> cst.BaseElement:
        if isinstance(e, ast.Starred):
            return self.spanned(make.StarredElement(value=self.expr(e.value)), e)
        return self.spanned(make.Element(value=self.expr(e)), e)

    def e_Tuple(self, e: ast.Tuple) -> cst.Tuple:
        return self.inside_parentheses(make.Tuple(elements=[self.element(x) for x in e.elts]), e, e.elts)

    def inside_parentheses(self, node: Any, e: Any, parts: list[ast.expr]) -> Any:
        """``node`` placed inside the parentheses the stdlib parser counts in a tuple's or generator's span
        (libcst's place for it), where it has them."""
        if not parts:
            self.spans[id(node)] = (e.lineno, e.col_offset + 1, e.end_lineno, e.end_col_offset - 1)
            self.inside.add(id(node))
        elif self._parenthesized(e, parts):  # (from its first part, as libcst)
            self.spans[id(node)] = (parts[0].lineno, parts[0].col_offset, e.end_lineno, e.end_col_offset - 1)
            self.inside.add(id(node))
        return node

    def e_List(self, e: ast.List) -> cst.List:
        return make.List(elements=[self.element(x) for x in e.elts])

    def e_Set(self, e: ast.Set) -> cst.Set:
        return make.Set(elements=[self.element(x) for x in e.elts])

    def e_Starred(self, e: ast.Starred) -> cst.StarredElement:
        return make.StarredElement(value=self.expr(e.value))

    def e_Dict(self, e: ast.Dict) -> cst.Dict:
        elements: list[Any] = []
        for key, value in zip(e.keys, e.values):
            if key is None:
                elements.append(make.StarredDictElement(value=self.expr(value)))
            else:
                elements.append(make.DictElement(key=self.expr(key), value=self.expr(value)))
        return make.Dict(elements=elements)

    def comprehension(self, generators: list[ast.comprehension]) -> cst.CompFor:
        inner = None
        for g in reversed(generators):
            ifs = [make.CompIf(test=self.expr(t)) for t in g.ifs]
            inner = make.CompFor(target=self.expr(g.target), iter=self.expr(g.iter), ifs=ifs, inner_for_in=inner,
                         asynchronous=make.Asynchronous() if g.is_async else None)
        return inner  # type: ignore[return-value]

    def e_ListComp(self, e: ast.ListComp) -> cst.ListComp:
        return make.ListComp(elt=self.expr(e.elt), for_in=self.comprehension(e.generators))

    def e_SetComp(self, e: ast.SetComp) -> cst.SetComp:
        return make.SetComp(elt=self.expr(e.elt), for_in=self.comprehension(e.generators))

    def e_GeneratorExp(self, e: ast.GeneratorExp) -> cst.GeneratorExp:
        return self.inside_parentheses(make.GeneratorExp(elt=self.expr(e.elt), for_in=self.comprehension(e.generators)),
                                       e, [e.elt])

    def e_DictComp(self, e: ast.DictComp) -> cst.DictComp:
        return make.DictComp(key=self.expr(e.key), value=self.expr(e.value), for_in=self.comprehension(e.generators))

    def e_Subscript(self, e: ast.Subscript) -> cst.Subscript:
        index = e.slice
        if isinstance(index, ast.Tuple) and index.elts and not self._parenthesized(index, index.elts):
            elements = [self.subscript_element(x) for x in index.elts]
        else:
            elements = [self.subscript_element(index)]
        return make.Subscript(value=self.expr(e.value), slice=elements)

    def _parenthesized(self, e: Any, parts: list[ast.expr]) -> bool:
        """Whether the tuple (or generator) ``e`` has parentheses of its own (``(a, b)``), not only its
        parts (``(a), (b)``, ``(x - 1), 0``)."""
        first = parts[0]
        return (e.lineno, e.col_offset) != (first.lineno, first.col_offset) and _one_pair_around(self.source_of(e))

    def subscript_element(self, e: ast.expr) -> cst.SubscriptElement:
        if isinstance(e, ast.Slice):
            inner: Any = self.spanned(make.Slice(
                lower=self.expr(e.lower) if e.lower is not None else None,
                upper=self.expr(e.upper) if e.upper is not None else None,
                step=self.expr(e.step) if e.step is not None else None), e)
        elif isinstance(e, ast.Starred):
            raise Unsupported("starred subscript")
        else:
            inner = self.spanned(make.Index(value=self.expr(e)), e)
        return self.spanned(make.SubscriptElement(slice=inner), e)



def _one_pair_around(text: str) -> bool:
    """Whether one pair of parentheses wraps all of ``text`` (strings aside)."""
    text = _STRING.sub('""', text)
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for char in text[1:-1]:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return False  # (the first `(` closes before the end: it was a part's own)
    return True


def _no_duplicates(args: ast.arguments) -> None:
    """The symbol table's check that no parameter is named twice (``parsing.syntax_error`` leaves it here)."""
    every = [*args.posonlyargs, *args.args, *([args.vararg] if args.vararg else []), *args.kwonlyargs,
             *([args.kwarg] if args.kwarg else [])]
    if len(every) > 1 and len({a.arg for a in every}) < len(every):
        seen: set[str] = set()
        for a in every:
            if a.arg in seen:
                raise SyntaxError(f"duplicate argument '{a.arg}' in function definition",
                                  ("<bn-lint>", a.lineno, a.col_offset + 1, None))
            seen.add(a.arg)


def _moved(tree: ast.AST, place: tuple[int, int]) -> ast.AST:
    """``tree``, parsed from ``"(" + piece``, with its positions moved to the piece's ``place``."""
    line, col = place
    for node in ast.walk(tree):
        if hasattr(node, "lineno"):
            if node.lineno == 1:
                node.col_offset += col - 1
            if getattr(node, "end_lineno", None) == 1:
                node.end_col_offset += col - 1
            node.lineno += line - 1
            if getattr(node, "end_lineno", None) is not None:
                node.end_lineno += line - 1
    return tree


def _before(a: ast.AST, b: ast.AST) -> bool:
    return (a.lineno, a.col_offset) < (b.lineno, b.col_offset)  # type: ignore[attr-defined]


_EXPRESSIONS: dict[type, Callable[[ExpressionBuilder, Any], Any]] = {
    getattr(ast, name[2:]): method for name, method in vars(ExpressionBuilder).items()
    if name.startswith("e_") and hasattr(ast, name[2:])
}
