"""The flake8 plugin: bn-lint's findings through flake8, with flake8's conventions."""
from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata

import pytest

from conftest import ROOT

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    import tomli as tomllib

CODE = (
    "import torch.nn as nn\n"
    "\n"
    "def validate(model):\n"
    "    model.eval\n"
    '    label = "é"; bn = nn.BatchNorm2d(64, momentum=0.9)\n'
    "    other = nn.BatchNorm2d(64, momentum=0.9)  # noqa: BN205\n"
    "    return bn, label, other\n"
)


def test_entry_point_is_declared():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["project"]["entry-points"]["flake8.extension"] == {"BN": "bn_lint.flake8_plugin:Plugin"}


def test_plugin_yields_flake8_tuples():
    from bn_lint.flake8_plugin import Plugin

    results = list(Plugin(None, "a.py", CODE.splitlines(keepends=True)).run())
    assert [(line, col, text.split()[0]) for line, col, text, _ in results] == [(4, 4, "BN102"), (5, 22, "BN205")]
    assert all(kind is Plugin for *_, kind in results)


def test_flake8_reports_bn_codes(tmp_path):
    pytest.importorskip("flake8")
    (tmp_path / "a.py").write_text(CODE, encoding="utf-8")
    installed = any(ep.name == "BN" and ep.value.startswith("bn_lint.") for ep in metadata.entry_points(group="flake8.extension"))
    config = "[flake8]\nselect = BN\n"
    if not installed:  # running from a checkout: register the plugin as a local one
        config += f"[flake8:local-plugins]\nextension =\n    BN = bn_lint.flake8_plugin:Plugin\npaths = {ROOT}\n"
    (tmp_path / "setup.cfg").write_text(config)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)
    proc = subprocess.run([sys.executable, "-m", "flake8", "a.py"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(" ")[:2] for line in lines] == [["a.py:4:5:", "BN102"], ["a.py:5:23:", "BN205"]]


def _flake8(cwd, *args, stdin: str | None = None):
    """flake8 in ``cwd`` (whose setup.cfg is ``_local_plugin_config()``)."""
    pytest.importorskip("flake8")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)
    return subprocess.run([sys.executable, "-m", "flake8", *args], cwd=cwd, env=env, capture_output=True, text=True, input=stdin)


def test_d18_flake8_reports_only_the_files_own_findings_at_real_lines(tmp_path):
    """Issue 27 D18: a cross-file BN101 (found in loops.py from main.py) is not put on main.py."""
    import shutil

    folder = tmp_path / "proj"
    shutil.copytree(ROOT / "fixtures" / "bn1" / "eval_helper_elsewhere", folder)
    (folder / "setup.cfg").write_text(_local_plugin_config())
    proc = _flake8(folder, "main.py", "loops.py")
    lines = proc.stdout.splitlines()
    assert not any(line.startswith("main.py:") for line in lines), proc.stdout + proc.stderr
    assert [line.split(" ")[:2] for line in lines] == [["loops.py:18:25:", "BN101"]]  # (from its importer, main.py)
    for line in lines:
        path, row = line.split(":")[:2]
        assert int(row) <= len((folder / path).read_text().splitlines()), line
    # editors: the buffer on stdin, named by --stdin-display-name
    source = (folder / "main.py").read_text()
    proc = _flake8(folder, "--stdin-display-name", "main.py", "-", stdin=source)
    assert proc.stdout == "", proc.stdout + proc.stderr
    bad = "import torch.nn as nn\nbn = nn.BatchNorm2d(3, momentum=0.9)\n"
    proc = _flake8(folder, "--stdin-display-name", "k.py", "-", stdin=bad)
    assert [line.split(" ")[:2] for line in proc.stdout.splitlines()] == [["k.py:2:6:", "BN205"]], proc.stderr


def _local_plugin_config() -> str:
    installed = any(ep.name == "BN" and ep.value.startswith("bn_lint.") for ep in metadata.entry_points(group="flake8.extension"))
    config = "[flake8]\nselect = BN\n"
    if not installed:
        config += f"[flake8:local-plugins]\nextension =\n    BN = bn_lint.flake8_plugin:Plugin\npaths = {ROOT}\n"
    return config
