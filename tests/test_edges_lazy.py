"""Issue 27 D25: importing bn-lint (its pytest and flake8 plugins) leaves ``sys.modules["libcst"]`` alone."""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}


def test_d25_importing_bn_lint_does_not_replace_libcst():
    code = (
        "import sys, dataclasses\n"
        "import bn_lint, bn_lint.flake8_plugin, bn_lint.trace.pytest_plugin\n"
        "assert 'libcst' not in sys.modules, type(sys.modules['libcst'])\n"
        "import libcst\n"
        "assert type(libcst).__name__ == 'module' and hasattr(libcst, '__file__'), type(libcst)\n"
        "assert 'exec' not in vars(dataclasses)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_d25_a_pytest_session_with_the_plugin_sees_the_real_libcst(tmp_path):
    (tmp_path / "test_other.py").write_text(
        "import sys\n\ndef test_libcst_is_real():\n"
        "    import libcst\n"
        "    assert type(sys.modules['libcst']).__name__ == 'module'\n"
    )
    from importlib import metadata

    installed = any(ep.value.startswith("bn_lint.") for ep in metadata.entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "bn_lint.trace.pytest_plugin"]  # (installed: its entry point loads it)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", *plugin, "-p", "no:cacheprovider", "test_other.py"],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_d25_the_command_still_defers_libcst(tmp_path):
    (tmp_path / "clean.py").write_text("x = 1\n")
    code = (
        "import sys\nfrom bn_lint.cli import main\n"
        "sys.argv = ['bn-lint', 'check', '--no-cache', 'clean.py']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(type(sys.modules.get('libcst')).__name__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(), capture_output=True, text=True)
    assert proc.stdout.strip() == "_Deferred", proc.stdout + proc.stderr  # the fast path: nothing parsed, libcst not loaded
