"""Issue 27 D1: bn-lint runs where ``tomllib`` does not exist (Python 3.10 has only ``tomli``)."""
from __future__ import annotations

import json
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


def test_a_file_python_runs_but_libcst_refuses_keeps_its_findings(tmp_path):
    # (transfer batch 12's 7704: a tab then spaces in one indent; CPython expands the tab to column 8, libcst's
    # tokenizer sees no matching block. The quick tree's findings stand, at their lines, without fixes.)
    source = ("import torch\nimport torch.nn as nn\n\n\ndef main(loader, flag):\n"
              "    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))\n"
              "    if flag:\n\t    model.load_state_dict(torch.load('w.pt'))\n"
              "    with torch.no_grad():\n        for x in loader:\n            print(model(x).argmax(1))\n")
    path = tmp_path / "tabbed.py"
    path.write_bytes(source.encode())
    compile(source, "tabbed.py", "exec")  # (Python accepts it)
    done = subprocess.run([sys.executable, "-m", "bn_lint", "check", "--no-cache", "--format", "json", "--exit-zero",
                           str(path)], capture_output=True, text=True, check=True)
    found = sorted((f["code"], f["line"]) for f in json.loads(done.stdout))
    assert found == [("BN101", 11), ("BN204", 6)]  # (no BN900)


def test_a_file_in_a_newer_pythons_syntax_keeps_its_findings(tmp_path):
    # (transfer batch 22's 12462: PEP 701's f-strings, Python 3.12, in a training file; bn-lint on 3.11 said BN900
    # and checked nothing in it. libcst's grammar reads it; a real syntax error beside it stays BN900.)
    newer = ("import torch.nn as nn\nstats = {'acc': 1.0}\nprint(f\"{stats[\"acc\"]:.2f}\")\n"
             "model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))\nmodel.eval\n")
    (tmp_path / "newer.py").write_text(newer)
    (tmp_path / "broken.py").write_text(newer.replace("print(f", "print(f(("))
    done = subprocess.run([sys.executable, "-m", "bn_lint", "check", "--no-cache", "--format", "json", "--exit-zero",
                           str(tmp_path)], capture_output=True, text=True, check=True)
    found = sorted((Path(f["path"]).name, f["code"], f["line"]) for f in json.loads(done.stdout))
    assert found == [("broken.py", "BN900", 3), ("newer.py", "BN102", 5)]
