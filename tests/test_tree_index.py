"""The model's tree index (``FileModel.order``, ``FileModel.nodes_of``) agrees with walking the tree."""
from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from bn_lint.parsing import parse_module
from bn_lint.semantic.file.model import FileModel
from bn_lint.semantic.syntax.walk import walk

ROOT = Path(__file__).resolve().parent.parent
TYPES = (cst.Call, cst.Name, cst.If, cst.For, cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Attribute)


def _model(text: str) -> FileModel:
    return FileModel("x.py", text, parse_module(text))


def _assert_agrees(model: FileModel) -> None:
    walked = list(walk(model.module))
    assert [model.order(node) for node in walked] == list(range(-1, len(walked) - 1))
    for within in walked:
        for cls in TYPES:
            assert model.nodes_of(within, cls) == [n for n in walk(within) if type(n) is cls]
        assert model.nodes_of(within, cst.Call, cst.Assign) == [n for n in walk(within) if type(n) in (cst.Call, cst.Assign)]


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "fixtures" / "bn1").rglob("*.py")))
def test_fixtures(path: str) -> None:
    _assert_agrees(_model((ROOT / path).read_text(encoding="utf-8")))


def test_nested_definitions_and_comprehensions() -> None:
    _assert_agrees(_model(
        "import torch\n"
        "def f(model, loader):\n"
        "    for x, y in loader:\n"
        "        if x:\n"
        "            out = [model(v) for v in x if g(v)]\n"
        "        else:\n"
        "            total += (lambda z: z.sum())(y)\n"
        "    class C:\n"
        "        a: int = h(1)\n"
        "    return out\n"
    ))


def test_a_node_of_another_tree_is_walked() -> None:
    model = _model("x = f(1)\n")
    other = parse_module("y = g(h(2))\n")
    assert [n.func.value for n in model.nodes_of(other, cst.Call)] == ["g", "h"]
    assert model.order(other) == -1
