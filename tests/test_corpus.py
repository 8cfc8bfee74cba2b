"""Every .py file of pinned timm, torchvision and transformers releases is checked with zero internal errors.

transformers is here because it once hung the checker (a clique of mutually recursive
functions); a hang fails the test through the CLI run's timeout (900 s: the check takes about
190 s on two idle cores, and a loaded machine once took it past 300 s).

The wheels are downloaded once (``pip download --no-deps``) into ``.corpus-cache/``
(git-ignored); set ``BN_LINT_CORPUS_DL`` to a folder that already holds them to
skip the download. Skipped, with the reason, when they cannot be had.
"""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

PINNED = ("timm==1.0.15", "torchvision==0.22.0", "transformers==4.51.3")
CACHE = ROOT / ".corpus-cache"


def _wheel(requirement: str, folder: Path) -> Path | None:
    name, version = requirement.split("==")
    found = sorted(folder.glob(f"{name}-{version}-*.whl"))
    return found[0] if found else None


def _corpus() -> Path:
    downloads = CACHE / "dl"
    downloads.mkdir(parents=True, exist_ok=True)
    extra = os.environ.get("BN_LINT_CORPUS_DL")
    for requirement in PINNED:
        if _wheel(requirement, downloads) is not None:
            continue
        if extra and _wheel(requirement, Path(extra)) is not None:
            wheel = _wheel(requirement, Path(extra))
            (downloads / wheel.name).write_bytes(wheel.read_bytes())
            continue
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-q", "-d",
             str(downloads), requirement],
            capture_output=True, text=True, timeout=600,
        )
        if done.returncode != 0 or _wheel(requirement, downloads) is None:
            pytest.skip(f"cannot download {requirement}: {(done.stderr or done.stdout).strip()[-300:]}")
    source = CACHE / "src"
    for requirement in PINNED:
        wheel = _wheel(requirement, downloads)
        target = source / wheel.stem
        if not (target / ".complete").exists():
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(target, [n for n in archive.namelist() if n.endswith(".py")])
            (target / ".complete").write_text("")
    return source


def test_corpus_has_no_internal_errors(tmp_path):
    source = _corpus()
    files = sorted(str(p) for p in source.rglob("*.py"))  # named one by one: the cache folder is git-ignored
    assert len(files) > 2000  # 491 timm + torchvision and 1,799 transformers .py files
    done = run_cli("check", "--exit-zero", "--format", "concise", "--cache-dir", str(tmp_path / "cache"),
                   "--jobs", str(max(2, os.cpu_count() or 2)), *files, cwd=tmp_path,
                   timeout=900)  # (about 190 s on two idle cores; a hang never ends)
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr[-3000:]
    assert f"({len(files)} files checked)" in stderr, stderr[-500:]
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr[-3000:]
    # real, maintained code: nothing is a syntax error or unreadable
    assert " BN900 " not in done.stdout.decode() and " BN901 " not in done.stdout.decode(), done.stdout.decode()[-3000:]
