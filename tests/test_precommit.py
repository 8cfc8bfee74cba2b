"""The pre-commit hook, run by the real ``pre-commit`` against a snapshot of this checkout.

pre-commit clones the snapshot, builds a virtualenv and pip-installs bn-lint
into it (from PyPI: libcst, click, ...), once for the whole module.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT

pytest.importorskip("pre_commit")

BAD = "def validate(model, loader):\n    model.eval\n    return [model(x) for x in loader]\n"
GOOD = "def validate(model, loader):\n    model.eval()\n    return [model(x) for x in loader]\n"
SNAPSHOT = ("bn_lint", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml")


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    """A hermetic environment: own PRE_COMMIT_HOME, no user/system git config, a git identity."""
    base = tmp_path_factory.mktemp("precommit")
    gitconfig = base / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    environ = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV", "GIT_DIR")}
    environ.update(
        PRE_COMMIT_HOME=str(base / "cache"),
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="bn-lint tests",
        GIT_AUTHOR_EMAIL="tests@example.invalid",
        GIT_COMMITTER_NAME="bn-lint tests",
        GIT_COMMITTER_EMAIL="tests@example.invalid",
        PRE_COMMIT_COLOR="never",
        NO_COLOR="1",
    )
    return environ


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    proc = _run(["git", *args], cwd, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory, env) -> tuple[str, str]:
    """A git repository holding a snapshot of this checkout (working tree, committed or not): (path, sha)."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in SNAPSHOT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, repo / name)
    _git(repo, env, "init", "-q")
    _git(repo, env, "add", ".")
    _git(repo, env, "commit", "-q", "-m", "snapshot")
    return str(repo), _git(repo, env, "rev-parse", "HEAD")


def _project(tmp_path: Path, env: dict[str, str], hook_repo: tuple[str, str], args: list[str] | None = None) -> Path:
    """A git repository whose .pre-commit-config.yaml uses the bn-lint hook, installed as the commit hook."""
    repo, sha = hook_repo
    project = tmp_path / "project"
    project.mkdir()
    _git(project, env, "init", "-q")
    hook = "      - id: bn-lint\n" + (f"        args: {args}\n" if args is not None else "")
    (project / ".pre-commit-config.yaml").write_text(
        textwrap.dedent(
            f"""\
            repos:
              - repo: {repo}
                rev: {sha}
                hooks:
            """
        )
        + hook
    )
    _git(project, env, "add", ".pre-commit-config.yaml")
    proc = _run([sys.executable, "-m", "pre_commit", "install"], project, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return project


def test_a_misuse_fails_the_commit_and_shows_the_finding(tmp_path, env, hook_repo):
    project = _project(tmp_path, env, hook_repo)
    (project / "train.py").write_text(BAD)
    _git(project, env, "add", "train.py")
    proc = _run(["git", "commit", "-m", "add train.py"], project, env, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "bn-lint" in output and "Failed" in output
    assert "train.py:2:5: BN102" in output and "model.eval" in output
    assert _run(["git", "rev-parse", "HEAD"], project, env).returncode != 0  # nothing was committed


def test_a_staged_notebook_with_a_finding_fails_the_commit(tmp_path, env, hook_repo):
    """pre-commit tags notebooks `jupyter`: the hook takes them (types_or, as ruff's hook does)."""
    import json

    project = _project(tmp_path, env, hook_repo)
    cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": BAD}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (project / "explore.ipynb").write_text(json.dumps(notebook))
    _git(project, env, "add", "explore.ipynb")
    proc = _run(["git", "commit", "-m", "add a notebook"], project, env, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "explore.ipynb" in output and "BN102" in output
    assert "no files to check" not in output


def test_a_clean_file_passes(tmp_path, env, hook_repo):
    project = _project(tmp_path, env, hook_repo)
    (project / "train.py").write_text(GOOD)
    _git(project, env, "add", "train.py")
    proc = _run(["git", "commit", "-m", "add train.py"], project, env, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "bn-lint" in output and "Passed" in output


def test_fix_through_pre_commit_changes_the_file(tmp_path, env, hook_repo):
    project = _project(tmp_path, env, hook_repo, args=["--fix"])
    (project / "train.py").write_text(BAD)
    _git(project, env, "add", "train.py")
    proc = _run([sys.executable, "-m", "pre_commit", "run", "--files", "train.py"], project, env, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output  # pre-commit fails a hook that modified files
    assert "files were modified by this hook" in output
    assert (project / "train.py").read_text() == GOOD
    again = _run([sys.executable, "-m", "pre_commit", "run", "--files", "train.py"], project, env, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr


NET = (
    "import torch.nn as nn\n"
    "net = nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU())\n"
)


def test_d17_precommit_fix_applies_only_safe_fixes(tmp_path, env, hook_repo):
    """Issue 27 D17: `args: [--fix]` fixes BN102 but leaves BN204's bias (it would break old checkpoints)."""
    project = _project(tmp_path, env, hook_repo, args=["--fix"])
    (project / "train.py").write_text(BAD)
    (project / "net.py").write_text(NET)
    _git(project, env, "add", "train.py", "net.py")
    proc = _run([sys.executable, "-m", "pre_commit", "run", "--files", "train.py", "net.py"], project, env, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert (project / "train.py").read_text() == GOOD
    assert (project / "net.py").read_text() == NET  # unchanged: BN204's fix is unsafe
    assert "net.py:2:21: BN204" in output


def test_d2_precommit_commit_of_a_helper_fails_from_its_unstaged_caller(tmp_path, env, hook_repo):
    """Issue 27 D2: a real `git commit` with only the edited helper staged fails with the finding its
    (unchanged, unstaged) caller brings about."""
    from test_edges_importers import BROKEN, project

    root = _project(tmp_path, env, hook_repo)
    project(root, BROKEN.replace("    correct = 0\n", "    correct = 0\n    model.eval()\n"))
    _git(root, env, "add", ".")
    clean = _run(["git", "commit", "-m", "a clean project"], root, env, timeout=600)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (root / "cifarnet" / "model.py").write_text(BROKEN)  # delete the `model.eval()` line
    _git(root, env, "add", "cifarnet/model.py")
    assert _git(root, env, "diff", "--cached", "--name-only") == "cifarnet/model.py"
    proc = _run(["git", "commit", "-m", "drop model.eval()"], root, env, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "Failed" in output and "cifarnet/model.py:19:25: BN101" in output, output
    assert _git(root, env, "rev-list", "--count", "HEAD") == "1"  # the bad commit did not go in
