from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def run_cli(*args: str, cwd: str | os.PathLike | None = None, stdin: bytes | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``bn-lint`` in a subprocess, as a user would; ``timeout`` in seconds (a hang fails the test)."""
    return subprocess.run(
        [sys.executable, "-m", "bn_lint", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
        timeout=timeout,
    )


@pytest.fixture
def write(tmp_path: Path):
    """Write dedented files under tmp_path: write("a.py", "...")."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write
