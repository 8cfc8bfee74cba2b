"""bn-lint's cheap positions agree with libcst's PositionProvider on every node."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, PositionProvider

from bn_lint.parsing import parse_module
from bn_lint.semantic.syntax.positions import Positions

from tests.helpers import program

ROOT = Path(__file__).resolve().parent.parent

EDGE_CASES = {
    "empty": "",
    "newline only": "\n",
    "comment only, no final newline": "# hello",
    "no final newline": "import torch\nx = torch.nn.BatchNorm2d(3)",
    "crlf": "import torch\r\nif x:\r\n    y = 1\r\n",
    "bare cr": "x = 1\ry = 2\r",
    "form feed and tabs": "\x0cdef f():\n\tif a:\n\t\treturn nn.BatchNorm1d(4)\n",
    "semicolons and decorators": "@dec\n@dec2(1)\nclass A(B): x = 1; y = 2\n",
    "continuations and strings": 'x = (1 +\n     2) \\\n    + 3\ns = """a\nb"""; t = f"{x!r:>{w}}"\n',
    "non-ascii": "é = 'ü'\nbn = nn.BatchNorm2d(é)  # ∑\n",
}


def _assert_same(text: str) -> None:
    module = parse_module(text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    ours = Positions(module)
    parents = _parents(module)
    lazy = Positions(module, text, lambda node: _top(node, parents))  # one statement at a time
    assert expected, "PositionProvider gave nothing to compare"
    for node, where in expected.items():
        assert ours.get(node) == where, (type(node).__name__, where, ours.get(node))
        assert lazy.get(node) == where, ("lazy", type(node).__name__, where, lazy.get(node))


def _parents(module) -> dict[int, object]:
    parents: dict[int, object] = {}
    stack = [module]
    while stack:
        node = stack.pop()
        for child in node.children:
            parents[id(child)] = node
            stack.append(child)
    return parents


def _top(node, parents):
    top = None
    while id(node) in parents:
        top, node = node, parents[id(node)]
    return top


def test_lazy_positions_generate_only_the_statements_asked_about() -> None:
    text = "import torch\n\n# a comment\n@dec\ndef f():\n    return 1\nx = 2; y = 3\n"
    module = parse_module(text)
    parents = _parents(module)
    lazy = Positions(module, text, lambda node: _top(node, parents))
    target = module.body[2].body[1]  # `y = 3`
    assert lazy.get(target).start.line == 7 and lazy.get(target).start.column == 7
    assert not lazy._whole and id(module.body[1]) not in lazy._spans


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases(name: str) -> None:
    _assert_same(EDGE_CASES[name])


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "fixtures").rglob("*.py")))
def test_fixtures(path: str) -> None:
    _assert_same((ROOT / path).read_text(encoding="utf-8"))


def test_unknown_node_gives_the_default() -> None:
    module = parse_module("x = 1\n")
    assert Positions(module).get(parse_module("y = 2\n"), "none") == "none"


_LINE = st.sampled_from([
    "x = 1", "if a:\n    b = nn.BatchNorm2d(c)", "def f(a, *, b=2):\n    return a", "# note", "", "  \t",
    "y = [1,\n  2]", "class C:\n    pass", "z = x if y else w", "print(a, b, sep='')",
])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(_LINE, max_size=8), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_generated_programs(lines: list[str], newline: str, final_newline: bool) -> None:
    text = program(lines, newline, final_newline)
    if text is not None:
        _assert_same(text)
