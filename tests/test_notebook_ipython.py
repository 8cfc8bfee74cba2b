"""Notebook cells read as IPython reads them: its special syntax only where IPython sees it, the rest checked.

IPython itself (``TransformerManager().transform_cell`` then ``ast.parse``) is the
oracle of the differential tests: a cell is BN900 exactly when IPython cannot
make Python of it. bn-lint never imports IPython; only these tests do.
"""
from __future__ import annotations

import ast
import inspect
import json
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.notebook import Notebook, python_of
from tests.conftest import run_cli

IMPORTS = "import torch\nimport torch.nn as nn\n"
MODEL = "model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))\n"


def _notebook(*cells: str, metadata=None) -> bytes:
    data = {
        "cells": [{"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}
                  for source in cells],
        "metadata": {"language_info": {"name": "python"}} if metadata is None else metadata,
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _findings(tmp_path: Path, *cells: str):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(_notebook(*cells))
    return Checker(Settings()).check_path(str(path)).findings


def _at(findings, code: str) -> list[tuple[int | None, int, int]]:
    return [(f.cell, f.line, f.column) for f in findings if f.code == code]


# ---------------------------------------------------------------- the defects
def test_a_question_mark_ending_a_comment_inside_brackets_is_not_help(tmp_path):
    found = _findings(tmp_path, IMPORTS + "bn = nn.BatchNorm2d(3,  # what is 3?\n                    3)\n")
    assert _at(found, "BN900") == []
    assert [(cell, line) for cell, line, _ in _at(found, "BN206")] == [(1, 3)]


def test_a_continuation_line_starting_with_percent_is_formatting_not_a_magic(tmp_path):
    found = _findings(tmp_path, IMPORTS + 's = ("%d"\n     % 3)\nt = "%d" \\\n% 4\nbn = nn.BatchNorm1d(4, 4)\n')
    assert _at(found, "BN900") == []
    assert [(cell, line) for cell, line, _ in _at(found, "BN206")] == [(1, 7)]


def test_a_cell_indented_as_a_whole_is_read_without_its_indentation(tmp_path):
    flat = _findings(tmp_path, IMPORTS + "bn = nn.BatchNorm1d(4, 4)\n")
    indented = _findings(tmp_path, "  import torch\n  import torch.nn as nn\n  bn = nn.BatchNorm1d(4, 4)\n")
    assert _at(indented, "BN900") == []
    [(cell, line, column)] = _at(flat, "BN206")
    assert _at(indented, "BN206") == [(cell, line, column + 2)]  # the column in the cell as stored


def test_a_timing_magic_keeps_the_statement_it_times(tmp_path):
    eval_loop = "with torch.no_grad(): preds = [model(x) for x, _ in test_loader]\n"
    [(_, _, column)] = _at(_findings(tmp_path, IMPORTS, MODEL, eval_loop), "BN101")
    for magic in ("%time ", "%timeit -n 1 -r 1 ", "%timeit -qo ", "%prun -l 4 -s cumulative "):
        found = _findings(tmp_path, IMPORTS, MODEL, magic + eval_loop)
        assert _at(found, "BN900") == []
        assert _at(found, "BN101") == [(3, 1, column + len(magic))], magic
    found = _findings(tmp_path, IMPORTS, MODEL, "r = %timeit -o evaluate(model)\nbn = %time nn.BatchNorm1d(4, 4)\n")
    assert _at(found, "BN900") == []
    assert _at(found, "BN206") == [(3, 2, 1 + len("bn = %time "))]
    assert python_of("r = %timeit -o f()\nbn = %time g()\n") == "r = None\nbn = g()\n"  # (-o: not f()'s value)


def test_a_time_cell_magic_keeps_its_body_and_other_cell_magics_hide_theirs(tmp_path):
    found = _findings(tmp_path, IMPORTS + MODEL, "%%time\nwith torch.no_grad():\n    preds = model(test_x)\n",
                      "%%bash\nls (\n")
    assert _at(found, "BN900") == []
    assert [(cell, line) for cell, line, _ in _at(found, "BN101")] == [(2, 3)]


def test_magics_and_help_only_where_ipython_reads_them():
    assert python_of("x = f(1,\n% 2)\n") == "x = f(1,\n% 2)\n"  # in brackets: Python's operator
    assert python_of("x = 1 + \\\n%ls\n") == "x = 1 + \\\n%ls\n"  # after a backslash: the same line
    assert python_of("  %ls\n  x = 1\n") == "pass\nx = 1\n"  # the cell's indentation dropped
    assert python_of("x = 1  # why?\nmodel?\nif x: y?\n") == "x = 1  # why?\npass\npass\n"
    assert python_of("%ls \\\n  -la\nx = 1\n") == "pass\n\nx = 1\n"  # a continued magic: blank lines after
    assert python_of(">>> x = 1\n... y = 2\n") == "x = 1\ny = 2\n"  # doctest prompts dropped
    assert python_of("%%writefile a.py\nimport (\n") == "pass\n#\n"


def test_fix_in_rewritten_cells_puts_heads_back(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(_notebook(
        "  import torch.nn as nn\n  m = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))\n",
        "%time n = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))\n!ls",
    ))
    args = ("--fix", "--unsafe-fixes") if b"--unsafe-fixes" in run_cli("check", "--help").stdout else ("--fix",)
    run_cli("check", "--no-cache", *args, str(path))
    sources = [cell["source"] for cell in json.loads(path.read_bytes())["cells"]]
    assert sources == [
        "  import torch.nn as nn\n  m = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))\n",
        "%time n = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))\n!ls",
    ]


def test_a_cell_the_reader_fails_on_is_that_cells_bn900(tmp_path, monkeypatch):
    import bn_lint.notebook as notebook

    real = notebook.read_cell
    monkeypatch.setattr(notebook, "read_cell", lambda source: 1 / 0 if "boom" in source else real(source))
    found = _findings(tmp_path, "import torch.nn as nn\n", "boom\n", "bn = nn.BatchNorm1d(4, 4)\n")
    assert [(f.code, f.cell) for f in found] == [("BN900", 2), ("BN206", 3)]
    assert "bn-lint cannot read the cell (ZeroDivisionError" in found[0].message


# --------------------------------------------------------- malformed notebooks
@pytest.mark.parametrize("data", [
    b'{"cells":[{"cell_type":"code","source":[1]}]}',
    b'{"cells":[{"cell_type":"code","source":5}]}',
    b'{"cells":[{"cell_type":"code","source":"x = 1"}], "metadata": 5}',
    b'{"cells":[{"cell_type":"code","source":"x = 1"}], "metadata": [1]}',
    b'{"cells":[5]}',
    b'{"cells":[]}' + b"",
    b"[" * 100_000 + b"]" * 100_000,
])
def test_a_malformed_notebook_is_its_own_bn901_and_the_run_goes_on(tmp_path, data):
    (tmp_path / "bad.ipynb").write_bytes(data)
    (tmp_path / "good.py").write_text("import torch.nn as nn\nbn = nn.BatchNorm1d(4, 4)\n")
    proc = run_cli("check", "--no-cache", "--format", "json", str(tmp_path))
    assert b"internal error" not in proc.stderr, proc.stderr
    found = {(Path(f["path"]).name, f["code"]) for f in json.loads(proc.stdout)}
    assert ("good.py", "BN206") in found
    if data != b'{"cells":[]}':
        bad = [f for f in json.loads(proc.stdout) if Path(f["path"]).name == "bad.ipynb"]
        assert [f["code"] for f in bad] == ["BN901"] and "cannot read notebook: not a notebook" in bad[0]["message"]


def test_bn_lint_reads_notebooks_without_ipython():
    import subprocess
    import sys

    code = "import sys, bn_lint.engine, bn_lint.notebook; print('IPython' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


# ------------------------------------------------- IPython as the oracle
def _ipython_accepts(cell: str) -> bool:
    module = pytest.importorskip("IPython.core.inputtransformer2")
    if "doctest" not in inspect.signature(module.PromptStripper).parameters:
        pytest.skip("bn-lint reads prompts as IPython 9.18+ does (a '...' line is a prompt only beside a '>>>' one)")
    transformer = module.TransformerManager()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(transformer.transform_cell(cell))
    except Exception:  # (IPython's transformer fails on some cells: it cannot run them either)
        return False
    return True


def _bn_lint_accepts(cell: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Notebook.parse(_notebook(cell)).errors == []


EDGE_CELLS = [
    "a = f(1,  # what is a?\n 2)", 's = ("%d"\n % 3)', "  x = 1\n  y = 2", "  x = 1\n y = 2", "  x = 1\n    y = 2",
    "%time train(model, loader)", "%timeit -n 10 -r 3 f(x)", "%prun -s cumulative f()", "%time for i in x:\n    f(i)",
    "%%time\nx = 1", "%%time\nx = (", "%%timeit -n 1\n!ls", "%%bash\nls (", "\n\n%%capture out\n  x = 1",
    "%%time?\nx = 1", "x?", "x??", "x.y[0]?", "f(x)?", "?x", "??x", "if x: y?", "x = 1 # ?", "'?'",
    "%ls\n%%time", "!ls\n  !ls", "x = !ls", "x = %who_ls", "x, y = %time f()", "x = \\\n  %time f()",
    "%ls \\\n more", "x = 1 + \\\n%ls", "x = [1,\n!2]", ",f a b", ";f a b", "/f a b", "/f(x", "/ x",
    ">>> x = 1\n... y = 2", "In [1]: x = 1\n   ...: y = 2", "def f():\n    %time g()\n    return 1",
    "for x in y:\n%time f(x)", "x = 1\n\n\n", "\t\tx = 1\n\t\ty = 2", "%time", "%time x = ", "%time -n 3",
    "%timeit -n", "%timeit -- x", "x = %time -n 3", "async def f():\n    await g()", "await f()", "yield x",
    "x = f'{a!r}?'", "x = '''\n%ls\n'''", "x = (\n'''\n%ls\n''')", "%%!\nls", "%%\nx", "!!ls", "%%time x = 1\ny",
    "x = 1;\n%ls;", "print('a'); %ls", "  %%time\n  x = 1\n  y = (", "\\\n%ls", "x = 1 \\", "%ls \\",
    # line breaks of str.splitlines (IPython's lines) that are not Python's, quotes around a rewrite
    "x = \x0c%", "\u2028%", "%\x0c%", "%time x\x0c%time ", "if x:\n    %timeit -n 2 #", '"x = !#\'',
    "x = 1\x0c\ny = 2", "%%time\na\x0cb", "!ls " * 600, "!ls\n" * 501,
    # pasted doctests (IPython 9): '...' is a prompt only beside a '>>>' line outside triple quotes
    "x = 1\n... y = 2", "x = 1\n>>> y = 2", "  >>> x = 1\n  ... y = 2", ">>> def f():\n...     return 1",
    "s = '''\n>>> x\n'''", ">>> s = '''\n>>> x\n... '''", "x = (\n>>> 1)", ">>>x = 1\n...\ty = 2",
]


@pytest.mark.parametrize("cell", EDGE_CELLS)
def test_bn_lint_reads_a_cell_exactly_when_ipython_does(cell):
    assert _bn_lint_accepts(cell) == _ipython_accepts(cell), python_of(cell)


_FRAGMENTS = st.sampled_from([
    "x = 1", "y = f(x)", "%matplotlib inline", "%time f(x)", "%timeit -n 2 g()", "%prun h()", "!pip install a",
    "x = !ls", "z = %who_ls", "x?", "obj.attr??", "f(a)?", "%%time", "%%bash", "%%capture", "a = f(1,  # q?",
    "  2)", "s = ('%d'", " % 3)", "t = 1 + \\", "%ls \\", "   ", "", "# a comment?", "if x:", "    pass",
    "    %time y = 2", "def f():", "    return 1", "  x = 2", "\tx = 3", ">>> x = 1", "... y = 2", "In [2]: z = 3",
    "   ...: w = 4", "/f a", ",g b c", ";h d", "x = (", ")", "'''", "await g()", "x = [\n]", "%time for i in r: f(i)",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_FRAGMENTS, min_size=1, max_size=8), st.sampled_from(["", "  ", "\t"]), st.booleans())
def test_bn_lint_reads_composed_cells_exactly_when_ipython_does(fragments, indent, newline_at_end):
    cell = "\n".join(indent + fragment for fragment in fragments) + ("\n" if newline_at_end else "")
    assert _bn_lint_accepts(cell) == _ipython_accepts(cell), (cell, python_of(cell))
