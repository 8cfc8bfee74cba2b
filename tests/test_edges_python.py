"""Issue 27 D1: bn-lint runs where ``tomllib`` does not exist (Python 3.10 has only ``tomli``)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT

HIDE_TOMLLIB = textwrap.dedent(
    """
    import importlib.abc, sys

    class _No310(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "tomllib":
                raise ModuleNotFoundError("No module named 'tomllib'", name="tomllib")
            return None

    sys.modules.pop("tomllib", None)
    sys.meta_path.insert(0, _No310())
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return env


def test_d1_imports_without_tomllib(tmp_path):
    pytest.importorskip("tomli")
    (tmp_path / "pyproject.toml").write_text('[tool.bn-lint]\nignore = ["BN206"]\n')
    (tmp_path / "k.py").write_text("import torch.nn as nn\nbn = nn.BatchNorm2d(8, 0.9)\nbn2 = nn.BatchNorm2d(8, momentum=0.9)\n")
    script = HIDE_TOMLLIB + textwrap.dedent(
        f"""
        import sys
        from bn_lint.cli import main
        sys.argv = ["bn-lint", "check", "--no-cache", "--format", "concise", {str(tmp_path / "k.py")!r}]
        main()
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_env(), cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ":3:" in proc.stdout and "BN205" in proc.stdout
    assert "BN206" not in proc.stdout  # the config was read (by tomli)


def _python310() -> str | None:
    """A Python 3.10 interpreter: on PATH, or one pyenv installed."""
    candidates = [shutil.which("python3.10"), *map(str, sorted(Path.home().glob(".pyenv/versions/3.10*/bin/python")))]
    for candidate in filter(None, candidates):
        proc = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip() == "(3, 10)":
            return candidate
    return None


def test_d1_sources_parse_as_python_310():
    """Every module of the package is Python 3.10 syntax (the lowest ``requires-python``)."""
    python = _python310()
    if python is None:
        pytest.skip("no Python 3.10 interpreter here")
    files = [str(p) for p in (ROOT / "bn_lint").rglob("*.py")]
    code = "import ast,sys\nfor f in sys.argv[1:]:\n    ast.parse(open(f, encoding='utf-8').read(), f)\n"
    proc = subprocess.run([python, "-c", code, *files], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
