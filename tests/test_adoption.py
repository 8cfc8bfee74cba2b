"""Adopting bn-lint on existing code: --add-noqa, --baseline, --fail-on, and the settings views."""
from __future__ import annotations

import json

from bn_lint.adoption import with_noqa
from tests.conftest import run_cli

BUGGY = """import torch.nn as nn

bn = nn.BatchNorm1d(64, 64)
head = nn.Sequential(nn.Linear(8, 4), nn.BatchNorm1d(4, momentum=0.99))
"""


def _codes(proc) -> list[tuple[str, int]]:
    return [(f["code"], f["line"]) for f in json.loads(proc.stdout)]


def test_add_noqa_then_check_is_clean_and_a_second_add_noqa_changes_nothing(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(BUGGY)
    assert run_cli("check", "--no-cache", str(path)).returncode == 1
    first = run_cli("check", "--no-cache", "--add-noqa", str(path))
    assert first.returncode == 0, first.stderr
    assert b"Added" in first.stderr
    text = path.read_text()
    assert "bn = nn.BatchNorm1d(64, 64)  # noqa: BN206" in text
    assert run_cli("check", "--no-cache", str(path)).returncode == 0
    run_cli("check", "--no-cache", "--add-noqa", str(path))
    assert path.read_text() == text


def test_add_noqa_merges_into_an_existing_noqa_and_skips_open_strings():
    assert with_noqa("x = f()  # noqa: E501\n", {1: {"BN101"}}) == "x = f()  # noqa: BN101, E501\n"
    text = 's = """abc\nBatchNorm1d(3, 3)"""\n'
    assert with_noqa(text, {1: {"BN206"}}) == text  # line 1 ends inside the string


def test_baseline_records_then_hides_known_findings_across_line_shifts(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(BUGGY)
    baseline = tmp_path / "bn-lint-baseline.json"
    record = run_cli("check", "--no-cache", "--baseline", str(baseline), "--format", "json", str(path))
    assert record.returncode == 0, record.stderr
    assert json.loads(baseline.read_text())["findings"]
    # a line inserted above every finding: still matched
    path.write_text("# a new comment\nimport os\n" + BUGGY)
    shifted = run_cli("check", "--no-cache", "--baseline", str(baseline), "--format", "json", str(path))
    assert shifted.returncode == 0, shifted.stdout
    assert _codes(shifted) == []
    # a new finding is reported
    path.write_text("# a new comment\nimport os\n" + BUGGY + "extra = nn.BatchNorm2d(8, 8)\n")
    new = run_cli("check", "--no-cache", "--baseline", str(baseline), "--format", "json", str(path))
    assert new.returncode == 1
    assert _codes(new) == [("BN206", 7)]


def test_a_bad_baseline_is_a_clear_error(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(BUGGY)
    baseline = tmp_path / "baseline.json"
    baseline.write_text("{}")
    proc = run_cli("check", "--no-cache", "--baseline", str(baseline), str(path))
    assert proc.returncode == 2
    assert b"not a bn-lint baseline" in proc.stderr and b"Traceback" not in proc.stderr


def test_fail_on_error_lets_warnings_pass(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("import torch.nn as nn\nhead = nn.Sequential(nn.Linear(8, 4), nn.BatchNorm1d(4))\n")
    warned = run_cli("check", "--no-cache", "--format", "json", str(path))
    assert warned.returncode == 1 and {f["severity"] for f in json.loads(warned.stdout)} == {"warning"}
    assert run_cli("check", "--no-cache", "--fail-on", "error", str(path)).returncode == 0
    path.write_text(BUGGY)
    assert run_cli("check", "--no-cache", "--fail-on", "error", str(path)).returncode == 1


def test_color_always_and_never(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(BUGGY)
    assert b"\x1b[" in run_cli("check", "--no-cache", "--color", "always", str(path)).stdout
    assert b"\x1b[" not in run_cli("check", "--no-cache", "--color", "never", str(path)).stdout


def test_show_settings_says_where_each_value_comes_from(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.bn-lint]\nmin-batch-size = 16\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    out = run_cli("check", "--show-settings", "--ignore", "BN204", str(tmp_path / "a.py")).stdout.decode()
    assert f"configuration file: {tmp_path / 'pyproject.toml'}" in out
    assert f"min-batch-size = 16  # {tmp_path / 'pyproject.toml'}" in out
    assert 'ignore = ["BN204"]  # command line' in out
    assert 'select = ["BN"]  # default' in out


def test_show_files_lists_what_would_be_checked(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "nb.ipynb").write_text("{}")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / ".gitignore").write_text("ignored.py\n")
    (tmp_path / "ignored.py").write_text("x = 1\n")
    proc = run_cli("check", "--show-files", str(tmp_path))
    listed = sorted(line.rsplit("/", 1)[-1] for line in proc.stdout.decode().splitlines())
    assert listed == ["a.py", "nb.ipynb"]


def test_shell_completion_script_is_generated():
    import os
    import subprocess
    import sys
    from pathlib import Path

    import pytest

    from tests.conftest import ROOT

    script = Path(sys.executable).parent / "bn-lint"
    if not script.exists():
        pytest.skip("the bn-lint entry point is not installed beside this python")
    env = {**os.environ, "_BN_LINT_COMPLETE": "bash_source", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=60).stdout
    assert "_bn_lint_completion" in out and "complete " in out
