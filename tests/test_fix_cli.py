"""``bn-lint check --fix / --diff / --show-fixes`` end to end, and --fix over the fixtures."""
from __future__ import annotations

import ast
import json
import shutil

import libcst as cst

from conftest import FIXTURES, run_cli

BAD = "import torch.nn as nn\n\ndef validate(model):\n    model.eval\n    return nn.BatchNorm2d(64, momentum=0.9)\n"
FIXED = BAD.replace("model.eval\n", "model.eval()\n").replace("0.9)", "0.1)")
UNFIXABLE = "import torch.nn as nn\nbn = nn.BatchNorm1d(128, 0.9)\n"


def test_fix_writes_and_exits_0_when_nothing_is_left(write, tmp_path):
    path = write("a.py", BAD)
    proc = run_cli("check", "--unsafe-fixes", "--fix", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert path.read_text() == FIXED
    assert b"Fixed 2 findings in 1 file." in proc.stderr
    assert b"All checks passed" in proc.stderr


def test_fix_reports_only_what_is_left_and_exits_1(write, tmp_path):
    write("a.py", BAD + UNFIXABLE.split("\n", 1)[1])
    proc = run_cli("check", "--unsafe-fixes", "--fix", "--format", "json", str(tmp_path))
    assert proc.returncode == 1
    assert [f["code"] for f in json.loads(proc.stdout)] == ["BN206"]


def test_diff_prints_a_unified_diff_writes_nothing_exit_1(write, tmp_path):
    path = write("a.py", BAD)
    proc = run_cli("check", "--unsafe-fixes", "--diff", str(path))
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout.decode()
    assert out.startswith(f"--- {path}\n+++ {path}\n@@ ")
    assert out.endswith(
        "-    model.eval\n-    return nn.BatchNorm2d(64, momentum=0.9)\n"
        "+    model.eval()\n+    return nn.BatchNorm2d(64, momentum=0.1)\n"
    )
    assert path.read_text() == BAD
    assert b"Would fix 2 findings in 1 file." in proc.stderr


def test_diff_exit_0_when_there_is_nothing_to_fix(write, tmp_path):
    write("a.py", UNFIXABLE)
    proc = run_cli("check", "--unsafe-fixes", "--diff", str(tmp_path))
    assert proc.returncode == 0 and proc.stdout == b""


def test_diff_of_standard_input(tmp_path):
    proc = run_cli("check", "--unsafe-fixes", "--diff", "--stdin-filename", "m.py", "-", stdin=BAD.encode())
    assert proc.returncode == 1
    assert "+    model.eval()" in proc.stdout.decode()


def test_fix_refuses_standard_input():
    proc = run_cli("check", "--unsafe-fixes", "--fix", "-", stdin=BAD.encode())
    assert proc.returncode == 2 and b"--fix cannot write to standard input" in proc.stderr


def test_show_fixes_lists_each_fix(write, tmp_path):
    path = write("a.py", BAD)
    proc = run_cli("check", "--unsafe-fixes", "--fix", "--show-fixes", str(path))
    err = proc.stderr.decode()
    assert "Fixed 2 findings:" in err
    assert f"{path}:4:5: BN102 call `model.eval()`" in err
    assert f"{path}:5:12: BN205 use momentum=0.1" in err
    again = run_cli("check", "--unsafe-fixes", "--fix", "--show-fixes", str(path))
    assert again.returncode == 0 and b"Fixed nothing." in again.stderr


def test_fix_over_the_fixtures_leaves_only_unfixable_findings(tmp_path):
    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, copy)
    before = json.loads(run_cli("check", "--format", "json", str(copy)).stdout)
    assert any(f["fix"] for f in before)
    unfixable = sorted((f["path"], f["line"], f["code"]) for f in before if not f["fix"])

    first = run_cli("check", "--unsafe-fixes", "--fix", "--format", "json", str(copy))
    left = json.loads(first.stdout)
    assert first.returncode == (1 if unfixable else 0)
    assert sorted((f["path"], f["line"], f["code"]) for f in left) == unfixable
    assert not any(f["fix"] for f in left)
    after = json.loads(run_cli("check", "--format", "json", str(copy)).stdout)
    assert after == left

    snapshot = {p: p.read_bytes() for p in copy.rglob("*.py")}
    second = run_cli("check", "--unsafe-fixes", "--fix", "--show-fixes", str(copy))
    assert b"Fixed nothing." in second.stderr
    assert {p: p.read_bytes() for p in copy.rglob("*.py")} == snapshot
    assert run_cli("check", "--unsafe-fixes", "--diff", str(copy)).stdout == b""

    for path, data in snapshot.items():
        cst.parse_module(data.decode("utf-8"))
        ast.parse(data, str(path))
