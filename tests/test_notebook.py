"""Jupyter notebooks: code cells checked as one program, findings at (cell, line), fixes written back intact."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.notebook import Notebook, python_of
from tests.conftest import ROOT, run_cli

NOTEBOOKS = ROOT / "fixtures" / "notebooks"
TRANSFER = NOTEBOOKS / "transfer_learning_frozen_backbone.ipynb"
MNIST = NOTEBOOKS / "mnist_cnn_batchnorm_test_loop.ipynb"


def _notebook(*cells: str, cell_type: str = "code") -> bytes:
    data = {
        "cells": [{"cell_type": cell_type, "metadata": {}, "source": source, "outputs": [], "execution_count": None}
                  for source in cells],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _check(tmp_path: Path, data: bytes):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(data)
    return Checker(Settings()).check_path(str(path))


def _fix_args() -> tuple[str, ...]:
    """``--fix``, with ``--unsafe-fixes`` where fixes are split by safety (BN204's fix is unsafe)."""
    unsafe = b"--unsafe-fixes" in run_cli("check", "--help").stdout
    return ("--fix", "--unsafe-fixes") if unsafe else ("--fix",)


def _codes(result) -> list[tuple[str, int | None, int]]:
    return [(f.code, f.cell, f.line) for f in result.findings]


def test_magics_and_shell_lines_become_pass_line_for_line():
    source = ("%matplotlib inline\n!pip install timm\nfiles = !ls\nmodel?\n"
              "for x in xs:\n    %time y = f(x)\nx = 1  # 50%\n")
    # (``%time`` keeps the statement it times: a bug in it is still found)
    assert python_of(source) == "pass\npass\nfiles = None\npass\nfor x in xs:\n    y = f(x)\nx = 1  # 50%\n"
    assert python_of("%%bash\necho hi\n") == "pass\n#\n"
    assert python_of("%%time\nmodel(x)\n") == "pass\nmodel(x)\n"


def test_mode_flows_from_cell_to_cell_and_findings_name_the_cell(tmp_path):
    result = _check(tmp_path, _notebook(
        "import torch\nimport torch.nn as nn\n",
        "# markdown-like comment\nmodel = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))\n",
        "%time\nwith torch.no_grad():\n    for x, y in test_loader:\n        pred = model(x).argmax(1)\n",
    ))
    assert ("BN101", 3, 4) in _codes(result)
    bn101 = next(f for f in result.findings if f.code == "BN101")
    assert "cell 2, line 2" in bn101.message  # where the model was built, in cell words
    assert bn101.location.endswith("nb.ipynb:cell 3:4:16")


def test_eval_in_an_earlier_cell_is_seen(tmp_path):
    result = _check(tmp_path, _notebook(
        "import torch\nimport torch.nn as nn\n",
        "model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))\nmodel.eval()\n",
        "with torch.no_grad():\n    for x, y in test_loader:\n        pred = model(x).argmax(1)\n",
    ))
    assert [f for f in result.findings if f.code == "BN101"] == []


def test_a_cell_that_is_not_python_is_reported_and_the_others_still_checked(tmp_path):
    result = _check(tmp_path, _notebook(
        "import torch.nn as nn\n",
        "def broken(:\n    pass\n",
        "bn = nn.BatchNorm2d(3, 3)\n",
    ))
    assert ("BN900", 2, 1) in _codes(result)
    assert ("BN206", 3, 1) in _codes(result)


def test_markdown_cells_count_in_cell_numbers(tmp_path):
    data = json.loads(_notebook("import torch.nn as nn\nbn = nn.BatchNorm1d(4, 4)\n"))
    data["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "text"]})
    result = _check(tmp_path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode())
    assert ("BN206", 2, 2) in _codes(result)


def test_not_a_notebook_is_bn901_not_a_traceback(tmp_path):
    result = _check(tmp_path, b"{ not json")
    assert [f.code for f in result.findings] == ["BN901"]
    assert "not a notebook" in result.findings[0].message


def test_another_language_is_not_checked_as_python(tmp_path):
    data = json.loads(_notebook("x <- c(1, 2)\n"))
    data["metadata"]["language_info"]["name"] = "R"
    result = _check(tmp_path, json.dumps(data).encode())
    assert [f.code for f in result.findings] == ["BN901"]


def test_tutorial_notebooks_findings_at_the_right_cells():
    proc = run_cli("check", "--no-cache", "--format", "json", str(TRANSFER), str(MNIST))
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)
    found = {(Path(f["path"]).name, f["code"], f.get("cell"), f["cell_line"]) for f in findings if "cell" in f}
    # the frozen backbone (cell 6, `param.requires_grad = False`) trained by train_model's model.train()
    assert ("transfer_learning_frozen_backbone.ipynb", "BN105", 6, 3) in found
    # the test loop of cell 6 runs the BatchNorm CNN of cell 4 in training mode
    assert any(name == "mnist_cnn_batchnorm_test_loop.ipynb" and code == "BN101" and cell == 6
               for name, code, cell, _ in found)
    assert ("mnist_cnn_batchnorm_test_loop.ipynb", "BN204", 4, 5) in found
    # `line` / `column` place each finding in the .ipynb file's text, where it holds that cell's line
    for f in findings:
        raw = Path(f["path"]).read_text(encoding="utf-8").splitlines()[f["line"] - 1]
        cell = json.loads(Path(f["path"]).read_text(encoding="utf-8"))["cells"][f["cell"] - 1]["source"]
        written = cell[f["cell_line"] - 1] if isinstance(cell, list) else cell.splitlines(True)[f["cell_line"] - 1]
        assert json.dumps(written, ensure_ascii=False) in raw or json.dumps(written) in raw
        assert raw[f["column"] - 1:].startswith(written[f["cell_column"] - 1:][:3])


def test_concise_format_shows_the_cell():
    out = run_cli("check", "--no-cache", "--format", "concise", str(MNIST)).stdout.decode()
    assert f"{MNIST}:cell 4:5:13: BN204" in out


def test_fix_keeps_the_notebook_intact_outside_the_fixed_lines(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    target = tmp_path / MNIST.name
    shutil.copy(MNIST, target)
    before = target.read_bytes()
    proc = run_cli("check", "--no-cache", *_fix_args(), str(target))
    assert proc.returncode in (0, 1), proc.stderr
    after = target.read_bytes()
    assert after != before
    nbformat.validate(nbformat.reads(after.decode(), as_version=4))
    old_lines, new_lines = before.decode().splitlines(), after.decode().splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    assert changed and all("nn.Conv2d(" in a and b == a.replace("),", ", bias=False),") for a, b in changed)
    again = run_cli("check", "--no-cache", *_fix_args(), str(target))
    assert target.read_bytes() == after, again.stderr  # idempotent


def test_fix_in_a_cell_with_magics_puts_the_magics_back(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(_notebook("%matplotlib inline\nimport torch.nn as nn\n!nvidia-smi\nm = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))"))
    run_cli("check", "--no-cache", *_fix_args(), str(path))
    source = json.loads(path.read_bytes())["cells"][0]["source"]
    assert source == "%matplotlib inline\nimport torch.nn as nn\n!nvidia-smi\nm = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))"


def test_directories_discover_notebooks(tmp_path):
    (tmp_path / "nb.ipynb").write_bytes(_notebook("import torch.nn as nn\nbn = nn.BatchNorm1d(4, 4)\n"))
    proc = run_cli("check", "--no-cache", "--format", "json", str(tmp_path))
    assert [(f["code"], f.get("cell")) for f in json.loads(proc.stdout)] == [("BN206", 1)]


def test_locate_maps_program_lines_to_cells():
    notebook = Notebook.parse(_notebook("a = 1\nb = 2\n", "c = 3"))
    assert notebook.locate(1) is None  # the first marker
    assert notebook.locate(2) == (1, 1)
    assert notebook.locate(3) == (1, 2)
    assert notebook.locate(5) == (2, 1)
