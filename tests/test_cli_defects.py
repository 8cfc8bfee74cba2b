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
