"""``bn-lint server`` in a real editor: headless Neovim (skipped where there is none) runs
``benchmarks/server/nvim_demo.lua`` on the project of issue 44: the helper's cross-file BN101 with the
caller as related information, a ``# noqa`` code action applied, then a BN102 quick fix applied."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.test_server_lsp import ROOT, cifar_project

pytest.importorskip("pygls")
NVIM = shutil.which("nvim")


@pytest.mark.skipif(NVIM is None, reason="no nvim on PATH")
def test_neovim_shows_the_cross_file_finding_and_applies_code_actions(tmp_path):
    cifar_project(tmp_path)
    env = {**os.environ, "BN_LINT_PYTHON": sys.executable, "BN_LINT_PROJECT": str(tmp_path),
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    run = subprocess.run([NVIM, "--headless", "-u", "NONE", "-c", f"luafile {ROOT / 'benchmarks/server/nvim_demo.lua'}"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    steps = {}
    for line in (run.stdout + run.stderr).splitlines():
        if line.startswith("{"):
            step = json.loads(line)
            steps[step["step"]] = step["value"]
    assert "FAILED" not in steps and steps.get("done") is True, run.stdout + run.stderr
    shown = steps["engine.py diagnostic"]
    assert shown["line"] == 8 and shown["related"][0]["location"]["uri"].endswith("/src/train.py")
    assert shown["related"][0]["location"]["range"]["start"]["line"] == 13
    assert steps["applied"].endswith("# noqa: BN101")
    assert steps["quick fix applied"]["line"] == "    model.eval()"
