"""The layers ARCHITECTURE.md describes, kept by import-linter contracts (in pyproject.toml)."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def test_import_linter_contracts_are_kept():
    tool = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not os.path.exists(tool):
        pytest.skip("import-linter is not installed")
    proc = subprocess.run([tool, "--config", str(ROOT / "pyproject.toml")], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "BROKEN" not in proc.stdout and "KEPT" in proc.stdout


def test_core_modules_stay_small():
    """Modules that no analysis interprets in: under ~600 lines (the semantic interpreters are not there yet)."""
    core = ["finding", "source", "codes", "config", "parsing", "notebook", "atomic", "suppression", "adoption",
            "server", "fixer", "runner", "engine", "cli"]
    sizes = {name: len((ROOT / "bn_lint" / f"{name}.py").read_text().splitlines()) for name in core}
    assert {name: size for name, size in sizes.items() if size > 600} == {}


def test_every_package_has_an_init():
    for folder in (ROOT / "bn_lint").rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py")):
            assert (folder / "__init__.py").exists(), folder
    ast.parse((ROOT / "bn_lint" / "semantic" / "__init__.py").read_text())
