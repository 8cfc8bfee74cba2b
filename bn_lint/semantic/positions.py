"""Where nodes are in the source: libcst's ``PositionProvider`` answers, at a fraction of its cost.

libcst works positions out by regenerating the code with a state that splits every token on
newlines and builds two position objects for each of the tens of thousands of nodes in a file
(about twice the parse time). Here the same code generation only adds up token lengths
and keeps each node's (start, end) offset; an offset becomes a line and column, by bisection over
the line starts of the text, only for the nodes asked about.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange  # (libcst.metadata would import every provider)

_NEWLINE = re.compile(r"\r\n?|\n")  # the newlines libcst's position provider counts


class Positions:
    """``get(node)``: the node's ``CodeRange`` (1-based lines, 0-based columns), as PositionProvider gives it."""

    def __init__(self, module: cst.Module) -> None:
        state = _OffsetState(module)
        module._codegen(state)
        self._spans = state.spans
        text = "".join(state.tokens)  # the generated code, which is the source but for a leading form feed
        self._line_starts = [0] + [match.end() for match in _NEWLINE.finditer(text)]
        self._length = len(text)

    def get(self, node: cst.CSTNode, default: Any = None) -> CodeRange | Any:
        span = self._spans.get(id(node))
        if span is None:
            return default
        return CodeRange(self._position(span[0]), self._position(span[1]))

    def _position(self, offset: int) -> CodePosition:
        if offset > self._length:  # in the newline generated, then taken back, after a last line without one
            return CodePosition(len(self._line_starts) + 1, 0)
        line = bisect_right(self._line_starts, offset)
        return CodePosition(line, offset - self._line_starts[line - 1])


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

