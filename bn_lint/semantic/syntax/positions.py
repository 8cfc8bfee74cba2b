"""Where nodes are in the source: libcst's ``PositionProvider`` answers, at a fraction of its cost.

libcst works positions out by regenerating the code with a state that splits every token on
newlines and builds two position objects for each of the tens of thousands of nodes in a file
(about twice the parse time). Here the same code generation only adds up token lengths
and keeps each node's (start, end) offset; an offset becomes a line and column, by bisection over
the line starts of the text, only for the nodes asked about.
"""
from __future__ import annotations

import ast
import re
from bisect import bisect_right
from typing import Any, Callable

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange  # (libcst.metadata would import every provider)

_NEWLINE = re.compile(r"\r\n?|\n")  # the newlines libcst's position provider counts


class Positions:
    """``get(node)``: the node's ``CodeRange`` (1-based lines, 0-based columns), as PositionProvider gives it.

    With the source ``text`` and ``top_of`` (the module-level statement holding a node), only the
    statements asked about are generated: each starts at the line the stdlib parser gives it, less its
    leading comment lines, and its generated text is checked against the source there; anything that
    does not fit (or a node outside every statement) falls back to generating the whole module.
    """

    def __init__(self, module: cst.Module, text: str | None = None,
                 top_of: Callable[[cst.CSTNode], cst.CSTNode | None] | None = None) -> None:
        self._module = module
        self._spans: dict[int, tuple[int, int]] = {}
        self._whole = False
        self._starts: dict[int, int] | None = None  # id(module-level statement) -> its offset in the text
        self._text = text
        self._top_of = top_of
        if text is None or top_of is None:
            self._generate_all()
        else:
            self._line_starts = [0] + [match.end() for match in _NEWLINE.finditer(text)]
            self._length = len(text)

    def _generate_all(self) -> None:
        state = _OffsetState(self._module)
        self._module._codegen(state)
        self._spans = state.spans
        text = "".join(state.tokens)  # the generated code, which is the source but for a leading form feed
        self._line_starts = [0] + [match.end() for match in _NEWLINE.finditer(text)]
        self._length = len(text)
        self._whole = True

    def get(self, node: cst.CSTNode, default: Any = None) -> CodeRange | Any:
        span = self._spans.get(id(node))
        if span is None and not self._whole:
            self._generate_for(node)
            span = self._spans.get(id(node))
        if span is None:
            return default
        return CodeRange(self._position(span[0]), self._position(span[1]))

    def _generate_for(self, node: cst.CSTNode) -> None:
        top = node if any(node is s for s in self._module.body) else self._top_of(node)
        start = self._statement_starts().get(id(top)) if top is not None else None
        if start is None:
            self._generate_all()
            return
        state = _OffsetState(self._module)
        state.offset = start
        top._codegen(state)
        generated = "".join(state.tokens)
        # (a last line without a newline is generated with one)
        if generated != self._text[start:state.offset] and generated != self._text[start:] + self._module.default_newline:
            self._generate_all()  # the statement is not where the lines said: trust only the whole
            return
        self._spans.update(state.spans)

    def _statement_starts(self) -> dict[int, int]:
        if self._starts is None:
            self._starts = _statement_starts(self._module, self._text, self._line_starts)
        return self._starts

    def _position(self, offset: int) -> CodePosition:
        if offset > self._length:  # in the newline generated, then taken back, after a last line without one
            return CodePosition(len(self._line_starts) + 1, 0)
        line = bisect_right(self._line_starts, offset)
        return CodePosition(line, offset - self._line_starts[line - 1])


def _statement_starts(module: cst.Module, text: str, line_starts: list[int]) -> dict[int, int]:
    """Offset where each module-level statement's code (its leading comment lines included) starts."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    statements = iter(tree.body)
    starts: dict[int, int] = {}
    for statement in module.body:
        count = len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        taken = [next(statements, None) for _ in range(count)]
        if taken[0] is None or taken[-1] is None:
            return {}
        first = taken[0]
        line = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", ()))])
        line -= len(statement.leading_lines)
        if not 1 <= line <= len(line_starts):
            return {}
        starts[id(statement)] = line_starts[line - 1]
    if next(statements, None) is not None:
        return {}
    return starts


class _OffsetState(CodegenState):
    """A code generation state that keeps offsets, not tokens.

    It mirrors ``PositionProvidingCodegenState``: ``record_syntactic_position`` sets a node's span
    (hoisting start/end from child nodes when asked), and a node that records none gets the span
    of all the code it generated.
    """

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.offset = 0
        self.spans: dict[int, tuple[int, int]] = {}  # id(node) -> (start, end) offsets; the tree keeps nodes alive
        self._starts: list[int] = []
        self._recording: list[tuple[int, int, Any, Any]] = []

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._starts.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._starts.pop()
        key = id(node)
        if key not in self.spans:
            self.spans[key] = (start, self.offset)

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Any = None, end_node: Any = None) -> Any:
        self._recording.append((id(node), self.offset, start_node, end_node))
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, *exc: object) -> bool:
        key, start, start_node, end_node = self._recording.pop()
        if exc_type is not None:  # (unwinding: the end node may never have been generated)
            return False
        end = self.offset
        if start_node is not None:
            start = self.spans[id(start_node)][0]
        if end_node is not None:
            end = self.spans[id(end_node)][1]
        self.spans[key] = (start, end)
        return False

