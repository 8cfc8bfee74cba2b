"""Command-line defects (N8-N13, R8, R11, R12): each test failed before its fix."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli


# N8: a setting written in the configuration is the configuration's, even when it equals the default
def test_show_settings_names_the_configuration_for_a_value_equal_to_the_default(tmp_path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.bn-lint]\nselect = ["BN"]\nmin-batch-size = 8\nignore = ["BN204"]\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    out = run_cli("check", "--show-settings", str(tmp_path / "a.py")).stdout.decode()
    assert f'select = ["BN"]  # {config}' in out
    assert f"min-batch-size = 8  # {config}" in out
    assert 'format = "full"  # default' in out
    # the command line wins, even with the value the file gives; an added `--ignore` is both
    out = run_cli("check", "--show-settings", "--select", "BN", "--ignore", "BN205", str(tmp_path / "a.py")).stdout.decode()
    assert 'select = ["BN"]  # command line' in out
    assert f'ignore = ["BN204", "BN205"]  # {config} + command line' in out


# N9: a symlink loop is a file bn-lint cannot read (BN901), named or found, in a git work tree or not
@pytest.mark.skipif(os.name == "nt", reason="symbolic links")
@pytest.mark.parametrize("in_git", [False, True])
def test_a_symlink_loop_is_bn901_never_an_internal_error(tmp_path, in_git):
    if in_git:
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "loop.py").symlink_to("loop.py")
    (tmp_path / "a.py").symlink_to("b.py")
    (tmp_path / "b.py").symlink_to("a.py")
    for args, count in ((["loop.py"], 1), (["a.py"], 1), (["."], 3)):
        done = run_cli("check", "--format", "concise", *args, cwd=tmp_path)  # (with the cache: its folder is found)
        out, err = done.stdout.decode(), done.stderr.decode()
        assert "internal error" not in err, err
        assert done.returncode == 1, (args, out, err)
        lines = out.splitlines()
        assert len(lines) == count and all("BN901 cannot read file: " in line for line in lines), lines
