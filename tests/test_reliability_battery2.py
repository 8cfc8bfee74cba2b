"""Issue 46: the second reliability battery's defects, each with its reproducer."""
from __future__ import annotations

import pytest

from tests.conftest import run_cli


# ------------------------------------------------------------------ R3 a bad configuration in a sub-folder
@pytest.mark.parametrize("config, words", [
    ("[tool.bn-lint\n", "invalid TOML"),
    ("[tool.bn-lint]\nfoo = 1\n", "unknown key 'foo'"),
    ("[tool.bn-lint]\nselect = []\n", "no rule is selected"),  # (D9's gap: the folder passed silently)
])
def test_a_bad_configuration_in_a_sub_folder_is_the_runs_error_naming_the_file(tmp_path, config, words):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_text("import torch\n")
    (tmp_path / "sub" / "b.py").write_text("x = 1\n")
    (tmp_path / "sub" / "pyproject.toml").write_text(config)
    proc = run_cli("check", "--no-cache", str(tmp_path))
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert "internal error" not in err and "Traceback" not in err
    assert err.startswith("bn-lint: error: ") and str(tmp_path / "sub" / "pyproject.toml") in err and words in err
    assert err.count("\n") == 1


# ------------------------------------------------------------------ R10 errors only the compiler finds
@pytest.mark.parametrize("code, line, message", [
    ("x = 1\nreturn 5\n", 2, "'return' outside function"),  # (no rule can fire here: the syntax check alone)
    ("import torch\nmodel.eval()\nclass A:\n    return 1\n", 4, "'return' outside function"),
    ("import torch\nmodel.eval()\ndef f():\n    break\n", 4, "'break' outside loop"),
    ("import torch\nmodel.eval()\nfor i in x:\n    def g():\n        continue\n", 5, "'continue' not properly in loop"),
])
def test_statements_outside_their_block_are_syntax_errors(tmp_path, code, line, message):
    (tmp_path / "r.py").write_text(code)
    proc = run_cli("check", "--no-cache", "--format", "concise", str(tmp_path / "r.py"))
    assert proc.returncode == 1
    assert f"r.py:{line}:" in proc.stdout.decode() and f"BN900 syntax error: {message}" in proc.stdout.decode()


@pytest.mark.parametrize("code", [
    "import torch\nmodel.eval()\nwhile True:\n    try:\n        break\n    finally:\n        pass\n",
    "import torch\nmodel.eval()\nfor x in y:\n    def f():\n        return 1\n    continue\n",
    "import torch\nmodel.eval()\ns = '''\nreturn 5\n'''\n",  # (at the margin, but in a string)
])
def test_statements_in_their_block_pass(tmp_path, code):
    (tmp_path / "r.py").write_text(code)
    proc = run_cli("check", "--no-cache", "--format", "concise", "--select", "BN9", str(tmp_path / "r.py"))
    assert proc.returncode == 0, proc.stdout
