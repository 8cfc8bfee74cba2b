"""The quick tree (``bn_lint/semantic/syntax/quick_tree.py``) against libcst's own parse, file by file.

For each file both trees are walked together over the fields the analyses read (``walk.children``'s):
the node classes, names, operators, literals and their text must be the same, and every node of the
classes the analyses place (``PLACED``) must start at the same line and column. Prints a count per kind
of difference with one example each; exit 1 if any.

    python benchmarks/quick_tree_compare.py PATH [PATH ...]
"""
from __future__ import annotations

import collections
import sys
from pathlib import Path
from typing import Any, Iterator

import libcst as cst

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bn_lint.parsing import parse_module, syntax_error  # noqa: E402
from bn_lint.semantic.syntax.positions import Positions  # noqa: E402
from bn_lint.semantic.syntax.quick_tree import Unsupported, quick_module  # noqa: E402
from bn_lint.semantic.syntax.walk import _fields, _keep, children  # noqa: E402
from bn_lint.source import read_source  # noqa: E402

PLACED = frozenset("""
Name Attribute Call Subscript Integer Float SimpleString ConcatenatedString FormattedString Assign AugAssign
AnnAssign Expr Return FunctionDef ClassDef For While If With Try Arg Param Tuple List Set Dict Lambda
Comparison BinaryOperation UnaryOperation BooleanOperation IfExp SimpleStatementLine Decorator AssignTarget
SubscriptElement Index Slice WithItem NamedExpr Await GeneratorExp ListComp SetComp DictComp StarredElement
DictElement Raise Assert Del Import ImportFrom Yield
""".split())
# where the stdlib parser has no place for a node, or places it around its parentheses (no analysis asks)
_UNPLACED_IN = ("NameItem.name", "AsName.name", "FormattedStringExpression.expression")
# libcst keeps a string part's escapes and `{x=}` as one part (the stdlib parser: a text part, then `x` with
# `!r`), and a module's and a block's indentation (read by code generation only)
_IGNORED_FIELDS = ("FormattedStringText.value", "FormattedStringExpression.conversion", "Module.has_trailing_newline",
                   "Module.default_indent", "Module.default_newline", "IndentedBlock.indent")


def differences(text: str) -> Iterator[tuple[str, Any]]:
    """(kind, where) for each way the quick tree of ``text`` differs from libcst's."""
    exact = parse_module(text)
    quick, spans = quick_module(text)
    yield from _compare(quick, exact, "Module", spans, Positions(exact))


def _compare(a: Any, b: Any, field: str, spans: Any, positions: Positions) -> Iterator[tuple[str, Any]]:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if field == "FormattedString.parts":  # (the expressions in it; see _IGNORED_FIELDS)
            a, b = ([p for p in parts if isinstance(p, cst.FormattedStringExpression)] for parts in (a, b))
        if len(a) != len(b):
            yield f"length of {field}", len(b)
            return
        for x, y in zip(a, b):
            yield from _compare(x, y, field, spans, positions)
        return
    if isinstance(a, cst.MaybeSentinel) or isinstance(b, cst.MaybeSentinel) or field in _IGNORED_FIELDS:
        return
    if type(a) is not type(b):
        yield f"{type(a).__name__} for {type(b).__name__} in {field}", None
        return
    if not isinstance(a, cst.CSTNode):
        if a != b:
            yield f"value of {field}", (a, b)
        return
    if not _keep(type(a)):
        return
    name = type(a).__name__
    if name in PLACED and field not in _UNPLACED_IN and not _led_by_parenthesis(b) and not isinstance(a, cst.Module):
        ours, theirs = spans.get(a), positions.get(b)
        if theirs is not None and (ours is None or ours.start != theirs.start):
            yield f"start of {name} in {field}", (theirs.start.line, theirs.start.column, ours and ours.start.column)
    for child in _fields(type(a)):
        yield from _compare(getattr(a, child), getattr(b, child), f"{name}.{child}", spans, positions)


def _led_by_parenthesis(node: Any) -> bool:
    """Whether ``node``'s code starts with a parenthesized part (`(a or b) and c`, `f((x), y)`): libcst
    starts the node at that `(`, the stdlib parser at what is inside it; no analysis reads the difference."""
    kids = children(node)
    while kids:
        if getattr(kids[0], "lpar", None):
            return True
        kids = children(kids[0])
    return False


def main(paths: list[str]) -> int:
    found: collections.Counter[str] = collections.Counter()
    example: dict[str, Any] = {}
    files = unsupported = 0
    for path in (p for arg in paths for p in (Path(arg).rglob("*.py") if Path(arg).is_dir() else [Path(arg)])):
        try:
            text = read_source(str(path)).text
        except Exception:
            continue
        if "\x00" in text or syntax_error(text) is not None:
            continue
        try:
            for kind, where in differences(text):
                found[kind] += 1
                example.setdefault(kind, (str(path), where))
        except Unsupported:
            unsupported += 1
            continue
        except cst.ParserSyntaxError:
            continue
        files += 1
    print(f"{files} files compared, {unsupported} not covered (parsed by libcst), {sum(found.values())} differences")
    for kind, count in found.most_common():
        print(f"{count:6}  {kind}  e.g. {example[kind]}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
