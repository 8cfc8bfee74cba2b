"""The progress bar: on a terminal for long runs, never on pipes or in machine formats."""
from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

from bn_lint import progress
from tests.conftest import ROOT


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_wanted_only_for_human_formats_on_a_terminal():
    assert progress.wanted("full", False, 100, _Tty())
    assert not progress.wanted("json", False, 100, _Tty())
    assert not progress.wanted("full", True, 100, _Tty())  # --quiet
    assert not progress.wanted("full", False, 3, _Tty())  # a moment
    assert not progress.wanted("full", False, 100, io.StringIO())  # a pipe


def test_bar_counts_and_stays_silent_when_disabled(monkeypatch):
    with progress.bar(10, False) as advance:
        advance(5)  # no error, nothing shown
    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)
    with progress.bar(3, True) as advance:
        for _ in range(3):
            advance(1)


def test_a_terminal_run_shows_the_bar_and_a_pipe_does_not(tmp_path, monkeypatch):
    for i in range(progress.MIN_FILES + 5):
        (tmp_path / f"m{i}.py").write_text("import torch.nn as nn\nbn = nn.BatchNorm1d(4, 4)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "import bn_lint.progress as p; p.SHOW_AFTER = 0.0; from bn_lint.cli import main; main()",
               "check", "--no-cache", "-j", "1", str(tmp_path)]
    piped = subprocess.run(command, env=env, capture_output=True, timeout=300)
    assert b"checking" not in piped.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=300)
    assert b"checking" in seen
