"""The quick tree (semantic/syntax/quick_tree.py): libcst's node classes built from the stdlib parser's tree.

It must be libcst's tree wherever the analyses look (benchmarks/quick_tree_compare.py walks both), and
a check on it must report what a check on libcst's own tree reports.
"""
from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.semantic.syntax import quick_tree
from bn_lint.semantic.file.model import FileModel
from bn_lint.semantic.syntax.quick_tree import Unsupported, file_tree, quick_module

from tests.helpers import program

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from quick_tree_compare import differences  # noqa: E402

EDGE_CASES = {
    "empty": "",
    "comment only, no final newline": "# hello",
    "crlf": "import torch\r\nif x:\r\n    y = 1\r\n",
    "bare cr": "x = 1\ry = 2\r",
    "tabs": "def f():\n\tif a:\n\t\treturn nn.BatchNorm1d(4)\n",
    "semicolons and decorators": "@dec\n@dec2(1)\nclass A(B, metaclass=M): x = 1; y = 2\n",
    "one-line suites": "if a: b = 1\nelif c: d()\nelse: pass\nfor i in x: print(i)\nwhile 0: break\n",
    "elif beside else-if": "if a:\n    pass\nelif b:\n    pass\nelse:\n    if c:\n        pass\n",
    "try, except*, finally": "try:\n    f()\nexcept* (A, B) as e:\n    g(e)\nfinally:\n    h()\n",
    "try, else": "try:\n    f()\nexcept A:\n    pass\nexcept:\n    raise\nelse:\n    x = 1\n",
    "parameters": "def f(a, /, b: int = 2, *args, c, d=4, **kw) -> None:\n    return lambda x, *, y=1: x\n"
                  "def g(*, a): ...\n",
    "calls": "f(a, *b, c=1, **d)\nf(x for x in y)\nf((x for x in y), z)\nf(k=1, *a)\nf((a), (b, c), ())\n",
    "strings": "s = 'a' 'b'\nt = ('a'  # c\n     \"b\" f'{x!r:>{w}}')\nu = f'{a}' f\"{b}\" '''c'''\nv = rb'\\d'\n",
    "f-string inside": "print(f'epoch {e + 1}/{n} loss {loss.item():.4f}')\n",
    "numbers": "x = [1_000, 0x1F, 1e-5, 3j, -1, +2, ~3, not a]\n",
    "operators": "y = a + b * c ** -d // e % f @ g << 1 >> 2 | 3 & 4 ^ 5\nz = a < b <= c is not d in e\n"
                 "w = a and b and c or d\nx += 1; x @= m\n",
    "containers": "d = {**a, 'k': v, 1: [*b, c], 2: {x, *y}}\nt = 1, 2\nu = (1,)\nv = ()\n",
    "comprehensions": "a = [x for x in y if x if not z for w in x]\nb = {k: v for k, v in d.items()}\n"
                      "c = {x async for x in y}\nd = (x for x in y)\n",
    "subscripts": "a[1]\na[1, 2]\na[(1, 2)]\na[1:2, ::3]\na[:]\na[...]\n",
    "statements": "import a.b.c as d, e\nfrom ..f import (g, h as i)\nfrom . import j\nfrom k import *\n"
                  "global m, n\ndel a, b[0]\nassert x, 'msg'\nraise E from c\nx: int = 1\ny: list\n",
    "with and async": "async def f():\n    async with a as (b, c), d:\n        await e\n    async for x in y:\n        yield x\n"
                      "    yield from z\n",
    "walrus and conditional": "if (n := len(a)) > 10: pass\nx = a if b else c\n",
    "non-ascii": "é = 'ü'\nbn = nn.BatchNorm2d(é, momentum=ü)  # ∑\nclass Ñ: pass\n",
    "deep attribute chains": "self.model.backbone.layer4[0].bn1.eval()\nnn.BatchNorm2d(64).to(device)\n",
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases_give_libcst_tree(name: str) -> None:
    assert list(differences(EDGE_CASES[name])) == []


def _real_files() -> list[Path]:
    folders = [ROOT / "fixtures", ROOT / "tests" / "data" / "realworld", ROOT.parent / "shared" / "realworld"]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*.py"))


def test_real_code_gives_libcst_tree() -> None:
    """Every file of the fixtures and both real-world corpora: the same tree, nodes at the same places."""
    found = {}
    for path in _real_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            compile(text, str(path), "exec")
        except (SyntaxError, ValueError):
            continue
        listed = list(differences(text))
        if listed:
            found[str(path.relative_to(ROOT.parent))] = listed[:3]
    assert found == {}


_LINE = st.sampled_from([
    "x = 1", "if a:\n    b = nn.BatchNorm2d(c)", "def f(a, *, b=2):\n    return a", "# note", "", "  \t",
    "y = [1,\n  2]", "class C:\n    pass", "z = x if y else w", "print(a, b, sep='')", "s = 'a' 'b'",
    "t = f'{x}' 'y'", "for i in range(3): n += i", "a[1:2, 3]", "f(*a, k=1, **b)", "del a, b",
])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(_LINE, max_size=8), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_generated_programs_give_libcst_tree(lines: list[str], newline: str, final_newline: bool) -> None:
    text = program(lines, newline, final_newline)
    if text is not None:
        assert list(differences(text)) == []


def test_a_match_statement_is_parsed_by_libcst() -> None:
    text = "match x:\n    case 1:\n        y = nn.BatchNorm2d(3)\n"
    with pytest.raises(Unsupported):
        quick_module(text)
    module, spans = file_tree(text)
    assert spans is None and module.code == text  # libcst's own tree, whitespace and all


def test_the_text_of_a_node_is_its_source() -> None:
    text = "net = nn.Sequential(\n    nn.Conv2d(3,64,3),   nn.BatchNorm2d( 32 ),\n)\n"
    module, spans = quick_module(text)
    model = FileModel("net.py", text, module, spans=spans)
    call = module.body[0].body[0].value
    assert model.code(call.args[1].value) == "nn.BatchNorm2d( 32 )"
    assert model.line_of(call.args[1].value) == 2 and model.positions.get(call.args[1].value).start.column == 25


def _findings(paths: list[Path], exact: bool, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    real = quick_tree.file_tree
    monkeypatch.setattr(quick_tree, "file_tree", lambda text, _exact=False: real(text, exact or _exact))
    checker = Checker(Settings(root=ROOT))
    out = []
    for path in paths:
        result = checker.check_path(str(path))
        out += [(f.path, f.line, f.column, f.end_line, f.end_column, f.code, f.message, f.fix) for f in result.findings]
    return out


def test_a_check_on_the_quick_tree_reports_what_a_check_on_libcsts_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the fixtures and the mined real-world cases: the same findings, at the same places, with the
    same messages and fixes, as when every file is parsed by libcst."""
    paths = [p for p in _real_files() if "shared" not in p.parts]
    quick = _findings(paths, False, monkeypatch)
    exact = _findings(paths, True, monkeypatch)
    assert len(exact) > 300 and quick == exact


def test_nodes_are_libcst_classes_with_every_field_set() -> None:
    module, _ = quick_module("x = f(a, k=1)\n")
    call = module.body[0].body[0].value
    assert isinstance(call, cst.Call) and call.whitespace_after_func.value == ""
    assert [a.keyword.value if a.keyword else None for a in call.args] == [None, "k"]
    assert module.code_for_node(call) == "f(a, k = 1)"  # (libcst's default spacing: whitespace is not kept)


@pytest.mark.parametrize("code", [
    "import torch.nn as nn\nbn = nn.BatchNorm2d(3\n",  # the parser's own error
    "import torch.nn as nn\ndef f(a, b, a):\n    return nn.BatchNorm2d(a)\n",  # duplicate parameter
    "import torch.nn as nn\nf = lambda x, x: nn.BatchNorm1d(x)\n",
    "import torch.nn as nn\ndef f():\n    nonlocal bn\n    bn = nn.BatchNorm2d(3)\n",  # the symbol table's check
    "import torch.nn as nn\nbn = nn.BatchNorm2d(3)\n[(y := x) for x in range(3) for y in x]\n",
])
def test_a_file_parsed_for_its_tree_gets_the_syntax_error_the_compiler_gives(code: str, tmp_path: Path) -> None:
    """The parser's errors come with the quick tree and the symbol table runs only where its words are:
    each error is the one `syntax_error` (the compiler's symbol table) reports, at the same place."""
    from bn_lint.parsing import syntax_error

    path = tmp_path / "m.py"
    path.write_text(code)
    [finding] = Checker(Settings(root=tmp_path)).check_path(str(path)).findings
    assert (finding.code, finding.message, finding.line, finding.column) == ("BN900", *syntax_error(code))
