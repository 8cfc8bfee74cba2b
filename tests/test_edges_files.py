"""Issue 27 D23 (and issue 31 D3, D14): which files are checked, as git decides inside a work tree."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

BAD = "import torch.nn as nn\nbn = nn.BatchNorm2d(3, momentum=0.99)\n"


def _cli(cwd, *args, env=None):
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "bn_lint", "check", "--no-cache", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=300)


def _paths(proc) -> list[str]:
    return sorted({f["path"] for f in json.loads(proc.stdout)})


def _git_env(tmp_path) -> dict[str, str]:
    excludes = tmp_path / "global-excludes"
    excludes.write_text("global_skip.py\n")
    config = tmp_path / "gitconfig"
    config.write_text(f"[core]\n\texcludesFile = {excludes}\n[init]\n\tdefaultBranch = main\n")
    return {"GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_d23_gitignore_as_git_decides(tmp_path):
    env = _git_env(tmp_path)
    repo = tmp_path / "gi2"
    (repo / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=repo, env={**os.environ, **env}, check=True)
    (repo / ".gitignore").write_text("gen_*.py\n!\nfoo\\\n")  # (`!` and `foo\` are lines git accepts and skips)
    (repo / "sub" / ".gitignore").write_text("!gen_keep.py\n")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("local_scratch.py\n")
    for name in ("sub/gen_keep.py", "sub/gen_drop_me.py", "gen_x.py", "local_scratch.py", "global_skip.py", "kept.py"):
        (repo / name).write_text(BAD)
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=repo, env={**os.environ, **env},
                            capture_output=True, text=True).stdout.split()
    expected = sorted(p for p in listed if p.endswith(".py"))
    assert expected == ["kept.py", "sub/gen_keep.py"]
    proc = _cli(repo, "--format", "json", ".", env=env)
    assert "Traceback" not in proc.stderr
    assert _paths(proc) == expected, proc.stderr
    proc = _cli(repo, "--format", "json", "sub", env=env)
    assert _paths(proc) == ["sub/gen_keep.py"], proc.stderr


def test_d23_nested_negation_outside_a_repository(tmp_path):
    """Without git, the .gitignore files are read the same way: the deepest matching pattern wins."""
    (tmp_path / "sub").mkdir()
    (tmp_path / ".gitignore").write_text("gen_*.py\n!\nfoo\\\n")
    (tmp_path / "sub" / ".gitignore").write_text("!gen_keep.py\n")
    for name in ("sub/gen_keep.py", "sub/gen_drop_me.py", "kept.py"):
        (tmp_path / name).write_text(BAD)
    proc = _cli(tmp_path, "--format", "json", ".")
    assert "Traceback" not in proc.stderr
    assert _paths(proc) == ["kept.py", "sub/gen_keep.py"]


def test_issue31_d3_bad_exclude_pattern_is_one_line(tmp_path):
    (tmp_path / "k.py").write_text(BAD)
    for pattern in ("!", "foo\\", "[z-a]"):
        proc = _cli(tmp_path, "--exclude", pattern, ".")
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.startswith("bn-lint: error: exclude: invalid pattern") and proc.stderr.count("\n") == 1


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read any folder")
def test_issue31_d14_unreadable_folder_is_reported(tmp_path):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "k.py").write_text(BAD)
    (tmp_path / "k.py").write_text(BAD)
    os.chmod(tmp_path / "locked", 0)
    try:
        proc = _cli(tmp_path, "--format", "json", ".")
    finally:
        os.chmod(tmp_path / "locked", 0o755)
    assert proc.returncode == 2
    assert "locked: cannot read the folder" in proc.stderr


def test_issue31_d14_unreadable_folder_is_reported_by_the_walk(tmp_path, monkeypatch):
    """The same, where permissions cannot be taken away (as root): the folder listing fails."""
    from bn_lint import discovery
    from bn_lint.config import Settings

    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "k.py").write_text(BAD)
    (tmp_path / "k.py").write_text(BAD)
    real = os.scandir

    def scandir(path):
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    found = discovery.discover([str(tmp_path)], Settings(root=tmp_path))
    assert found.files == [str(tmp_path / "k.py")]
    assert found.unreadable == [str(tmp_path / "locked")]
