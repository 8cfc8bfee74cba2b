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


def test_modules_and_classes_stay_small():
    """Issue 26: no module of bn_lint over 600 lines, no class over 300 (split by job, not grown)."""
    big_modules, big_classes = {}, {}
    for path in sorted((ROOT / "bn_lint").rglob("*.py")):
        text = path.read_text()
        name = str(path.relative_to(ROOT))
        if len(text.splitlines()) > 600:
            big_modules[name] = len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > 300:
                big_classes[f"{name}:{node.name}"] = node.end_lineno - node.lineno + 1
    assert big_modules == {} and big_classes == {}


def test_every_package_has_an_init():
    for folder in (ROOT / "bn_lint").rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py")):
            assert (folder / "__init__.py").exists(), folder
    ast.parse((ROOT / "bn_lint" / "semantic" / "__init__.py").read_text())


def test_classes_are_not_made_of_mixins():
    """Issue 42: an analysis owns its parts (``analysis.kinds``, ``flow.calls``, ``chain.expressions``,
    ``tracer.steps``) instead of inheriting them: no class of bn_lint has two or more bases defined in bn_lint."""
    defined: set[str] = set()
    trees = {}
    for path in sorted((ROOT / "bn_lint").rglob("*.py")):
        trees[path] = ast.parse(path.read_text())
        defined |= {node.name for node in ast.walk(trees[path]) if isinstance(node, ast.ClassDef)}
    mixed = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                own = [ast.unparse(base) for base in node.bases
                       if (base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute)
                           else None) in defined]
                if len(own) >= 2:
                    mixed[f"{path.relative_to(ROOT)}:{node.name}"] = own
    assert mixed == {}
