"""libcst's tree of a file, built from the stdlib parser's tree: the analyses' input, at a third of the cost.

libcst's own parse builds a node for every space, comma and parenthesis of the file; the analyses
read none of them, and that parse was most of a check's time. ``quick_module`` builds the same node
classes with the same fields from ``ast.parse`` (in C, about a tenth of libcst's time; with the
conversion, timm's 304 files take 3.0 s against libcst's 7.9 s), leaving whitespace and punctuation at
libcst's defaults. What libcst gives differently is only what the
analyses never read (whitespace, parentheses, commas); ``benchmarks/quick_tree_compare.py`` (and
``tests/test_quick_tree.py``) compares the two trees field by field over real code.

Where each node is comes from the stdlib parser too: ``Spans`` answers ``get(node)`` as
``positions.Positions`` does, and ``text(node)`` with the node's source. A construct not covered here
(``match``, type parameters) raises ``Unsupported``: the caller parses that file with libcst. A
check that finds something is run again on libcst's tree (engine.py), so findings, their positions,
messages and fixes are libcst's, byte for byte.
"""
from __future__ import annotations

import ast
import re
from typing import Any, Callable

import libcst as cst

from bn_lint.semantic.syntax.quick_expressions import _AUGMENTED, ExpressionBuilder, Unsupported, make, make_class
from bn_lint.semantic.syntax.quick_spans import Spans

__all__ = ["Spans", "Unsupported", "file_tree", "quick_module"]

_SMALL = (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Raise, ast.Assert, ast.Delete,
          ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom)


def quick_module(text: str) -> tuple[cst.Module, "Spans"]:
    """The libcst tree of ``text`` (which the stdlib compiler accepts) and where its nodes are."""
    from bn_lint.parsing import stdlib_tree

    tree = stdlib_tree(text)
    builder = _Builder(text)
    module = make.Module(body=builder.statements(tree.body))  # (its formatting fields at their defaults)
    return module, Spans(text, builder.spans, builder.lines)


class _Builder(ExpressionBuilder):
    """One file's conversion: its statements (and, from ``ExpressionBuilder``, its expressions)."""

    def statements(self, body: list[ast.stmt]) -> list[cst.CSTNode]:
        out: list[cst.CSTNode] = []
        line: list[cst.CSTNode] = []
        last_small: ast.stmt | None = None
        for stmt in body:
            if isinstance(stmt, _SMALL):
                if line and last_small is not None and last_small.end_lineno == stmt.lineno:
                    line.append(self.small(stmt))  # (`a = 1; b = 2`: one line of two statements)
                else:
                    line = [self.small(stmt)]
                    out.append(make.SimpleStatementLine(body=line))
                last_small = stmt
            else:
                out.append(self.compound(stmt))
                line, last_small = [], None
        return out

    def block(self, body: list[ast.stmt]) -> cst.BaseSuite:
        if body and not self.starts_line(body[0]):  # `if x: return y`
            return make.SimpleStatementSuite(body=[self.small(stmt) for stmt in body])
        return make.IndentedBlock(body=self.statements(body))

    def orelse(self, body: list[ast.stmt], cls: type = cst.Else) -> Any:
        return make_class(cls, body=self.block(body)) if body else None

    def small(self, stmt: ast.stmt) -> cst.BaseSmallStatement:
        return self.compound(stmt)  # type: ignore[return-value]

    def compound(self, stmt: ast.stmt) -> cst.BaseCompoundStatement:
        method = _STATEMENTS.get(type(stmt))
        if method is None:
            raise Unsupported(type(stmt).__name__)  # match statements, type aliases
        built = method(self, stmt)
        self.spans[id(built)] = stmt
        return built

    def s_Expr(self, s: ast.Expr) -> cst.Expr:
        return make.Expr(value=self.expr(s.value))

    def s_Assign(self, s: ast.Assign) -> cst.Assign:
        targets = [self.spanned(make.AssignTarget(target=self.expr(t)), t) for t in s.targets]
        return make.Assign(targets=targets, value=self.expr(s.value))

    def s_AnnAssign(self, s: ast.AnnAssign) -> cst.AnnAssign:
        return make.AnnAssign(target=self.expr(s.target), annotation=self.annotation(s.annotation),
                    value=self.expr(s.value) if s.value is not None else None)

    def s_AugAssign(self, s: ast.AugAssign) -> cst.AugAssign:
        return make.AugAssign(target=self.expr(s.target), operator=make_class(_AUGMENTED[type(s.op)]),
                    value=self.expr(s.value))

    def s_Return(self, s: ast.Return) -> cst.Return:
        return make.Return(value=self.expr(s.value) if s.value is not None else None)

    def s_Raise(self, s: ast.Raise) -> cst.Raise:
        cause = make.From(item=self.expr(s.cause)) if s.cause is not None else None
        return make.Raise(exc=self.expr(s.exc) if s.exc is not None else None, cause=cause)

    def s_Assert(self, s: ast.Assert) -> cst.Assert:
        return make.Assert(test=self.expr(s.test), msg=self.expr(s.msg) if s.msg is not None else None)

    def s_Delete(self, s: ast.Delete) -> cst.Del:
        if len(s.targets) == 1:
            return make.Del(target=self.expr(s.targets[0]))
        elements = [self.spanned(make.Element(value=self.expr(t)), t) for t in s.targets]
        return make.Del(target=make.Tuple(elements=elements, lpar=(), rpar=()))

    def s_Pass(self, s: ast.Pass) -> cst.Pass:
        return make.Pass()

    def s_Break(self, s: ast.Break) -> cst.Break:
        return make.Break()

    def s_Continue(self, s: ast.Continue) -> cst.Continue:
        return make.Continue()

    def s_Global(self, s: ast.Global) -> cst.Global:
        return make.Global(names=[make.NameItem(name=make.Name(value=n)) for n in s.names])

    def s_Nonlocal(self, s: ast.Nonlocal) -> cst.Nonlocal:
        return make.Nonlocal(names=[make.NameItem(name=make.Name(value=n)) for n in s.names])

    def s_Import(self, s: ast.Import) -> cst.Import:
        return make.Import(names=[self.alias(a) for a in s.names])

    def s_ImportFrom(self, s: ast.ImportFrom) -> cst.ImportFrom:
        names: Any
        if len(s.names) == 1 and s.names[0].name == "*":
            names = make.ImportStar()
        else:
            names = [self.alias(a) for a in s.names]
        module = None
        if s.module:
            row = self.lines[s.lineno - 1]
            found = re.compile(r"from\s+\.*\s*(" + re.escape(s.module) + r")\b").match(row, s.col_offset) if row.isascii() else None
            module = self.dotted(s.module, s.lineno, found.start(1)) if found else self.dotted(s.module)
        return make.ImportFrom(module=module, names=names,
                    relative=[make.Dot() for _ in range(s.level or 0)])

    def alias(self, alias: ast.alias) -> cst.ImportAlias:
        line, col = getattr(alias, "lineno", None), getattr(alias, "col_offset", 0)  # (Python 3.10+)
        asname = None
        if alias.asname:
            asname = make.AsName(name=self.name(alias.asname, alias.end_lineno, alias.end_col_offset - len(alias.asname))
                          if line else make.Name(value=alias.asname))
        node = make.ImportAlias(name=self.dotted(alias.name, line, col), asname=asname)
        return self.spanned(node, alias) if line else node

    def dotted(self, name: str, line: int | None = None, col: int = 0) -> cst.Name | cst.Attribute:
        """``a.b.c`` as libcst's attributes, placed from ``(line, col)`` where given (written without spaces)."""
        head, *rest = name.split(".")
        node: Any = self.name(head, line, col) if line else make.Name(value=head)
        end = col + len(head)
        for part in rest:
            attr = self.name(part, line, end + 1) if line else make.Name(value=part)
            end += 1 + len(part)
            node = make.Attribute(value=node, attr=attr)
            if line:
                self.spans[id(node)] = (line, col, line, end)
        return node

    def s_If(self, s: ast.If) -> cst.If:
        orelse: Any = None
        if len(s.orelse) == 1 and isinstance(s.orelse[0], ast.If) and self._is_elif(s.orelse[0]):
            orelse = self.compound(s.orelse[0])
        elif s.orelse:
            orelse = self.orelse(s.orelse)
        return make.If(test=self.expr(s.test), body=self.block(s.body), orelse=orelse)

    def _is_elif(self, s: ast.If) -> bool:
        row = self.lines[s.lineno - 1]
        at = row[s.col_offset:] if row.isascii() else row.encode()[s.col_offset:].decode()
        return at.startswith("elif")

    def s_For(self, s: ast.For, asynchronous: bool = False) -> cst.For:
        return make.For(target=self.expr(s.target), iter=self.expr(s.iter), body=self.block(s.body),
                    orelse=self.orelse(s.orelse), asynchronous=make.Asynchronous() if asynchronous else None)

    def s_AsyncFor(self, s: ast.AsyncFor) -> cst.For:
        return self.s_For(s, True)  # type: ignore[arg-type]

    def s_While(self, s: ast.While) -> cst.While:
        return make.While(test=self.expr(s.test), body=self.block(s.body), orelse=self.orelse(s.orelse))

    def s_With(self, s: ast.With, asynchronous: bool = False) -> cst.With:
        items = []
        for item in s.items:
            asname = None
            if item.optional_vars is not None:
                asname = make.AsName(name=self.expr(item.optional_vars))
            items.append(make.WithItem(item=self.expr(item.context_expr), asname=asname))
        return make.With(items=items, body=self.block(s.body),
                    asynchronous=make.Asynchronous() if asynchronous else None)

    def s_AsyncWith(self, s: ast.AsyncWith) -> cst.With:
        return self.s_With(s, True)  # type: ignore[arg-type]

    def s_Try(self, s: Any, star: bool = False) -> cst.Try:
        handler_cls = cst.ExceptStarHandler if star else cst.ExceptHandler
        handlers = []
        for h in s.handlers:
            name = make.AsName(name=make.Name(value=h.name)) if h.name else None
            handlers.append(self.spanned(make_class(handler_cls, body=self.block(h.body),
                                              type=self.expr(h.type) if h.type is not None else None, name=name), h))
        return make_class(cst.TryStar if star else cst.Try, body=self.block(s.body), handlers=handlers,
                    orelse=self.orelse(s.orelse), finalbody=self.orelse(s.finalbody, cst.Finally))

    def s_TryStar(self, s: Any) -> cst.TryStar:
        return self.s_Try(s, True)  # type: ignore[return-value]

    def s_FunctionDef(self, s: ast.FunctionDef, asynchronous: bool = False) -> cst.FunctionDef:
        if getattr(s, "type_params", None):
            raise Unsupported("type parameters")
        return make.FunctionDef(name=self.def_name(s, "def"), params=self.parameters(s.args),
                    body=self.block(s.body), decorators=self.decorators(s.decorator_list),
                    returns=self.annotation(s.returns) if s.returns is not None else None,
                    asynchronous=make.Asynchronous() if asynchronous else None)

    def s_AsyncFunctionDef(self, s: ast.AsyncFunctionDef) -> cst.FunctionDef:
        return self.s_FunctionDef(s, True)  # type: ignore[arg-type]

    def s_ClassDef(self, s: ast.ClassDef) -> cst.ClassDef:
        if getattr(s, "type_params", None):
            raise Unsupported("type parameters")
        bases = [self.spanned(self.arg(b), b) for b in s.bases]
        keywords = [self.keyword(k) for k in s.keywords]
        return make.ClassDef(name=self.def_name(s, "class"), body=self.block(s.body), bases=bases,
                    keywords=keywords, decorators=self.decorators(s.decorator_list))

    def def_name(self, s: Any, keyword: str) -> cst.Name:
        row = self.lines[s.lineno - 1].encode()
        at = row.find(keyword.encode(), s.col_offset)
        at = row.find(s.name.encode(), at + len(keyword)) if at >= 0 else -1
        return self.name(s.name, s.lineno, at if at >= 0 else s.col_offset)

    def decorators(self, found: list[ast.expr]) -> list[cst.Decorator]:
        out = []
        for d in found:
            node = make.Decorator(decorator=self.expr(d))
            at = self.lines[d.lineno - 1].encode().rfind(b"@", 0, d.col_offset)  # (libcst's decorator starts at its @)
            self.spans[id(node)] = (d.lineno, at if at >= 0 else d.col_offset, d.end_lineno, d.end_col_offset)
            out.append(node)
        return out



_STATEMENTS: dict[type, Callable[[_Builder, Any], Any]] = {
    getattr(ast, name[2:]): method for name, method in vars(_Builder).items()
    if name.startswith("s_") and hasattr(ast, name[2:])
}


def file_tree(text: str, exact: bool = False) -> tuple[cst.Module, Spans | None]:
    """The tree the analyses read: the quick one, or libcst's own (``exact``, or code the quick one
    does not cover) with no spans. Raises ``SyntaxError`` (the stdlib parser's) or what
    ``parsing.parse_module`` raises."""
    from bn_lint.parsing import newer_grammar_tree, parse_module

    if not exact:
        try:
            return quick_module(text)
        except Unsupported:
            pass
        except SyntaxError as error:  # (syntax of a Python newer than this one: libcst's tree, when it reads it)
            tree = newer_grammar_tree(text, error)
            if tree is None:
                raise
            return tree, None

    return parse_module(text), None
