"""Issue 27 D17: fixes that change behaviour are unsafe (as in ruff) and need ``--unsafe-fixes``."""
from __future__ import annotations

import json

from conftest import run_cli

NET = """\
import torch.nn as nn
net = nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16, momentum=0.9), nn.ReLU())
def validate(model, loader):
    model.eval
    return [model(x) for x in loader]
"""


def _codes(proc) -> list[str]:
    return sorted(f["code"] for f in json.loads(proc.stdout))


def test_d17_fix_applies_only_safe_fixes(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(NET)
    proc = run_cli("check", "--no-cache", "--fix", "--format", "json", str(path))
    assert proc.returncode == 1, proc.stderr
    text = path.read_text()
    assert "model.eval()" in text  # BN102: safe
    assert "nn.Conv2d(3, 16, 3)" in text and "bias=False" not in text  # BN204 would break old checkpoints
    assert "momentum=0.9" in text  # BN205 changes training
    assert _codes(proc) == ["BN204", "BN205"]
    fixes = {f["code"]: f["fix"] for f in json.loads(proc.stdout)}
    assert fixes["BN204"]["applicability"] == "unsafe" and fixes["BN205"]["applicability"] == "unsafe"


def test_d17_unsafe_fixes_applies_them(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(NET)
    proc = run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", str(path))
    assert proc.returncode == 0, proc.stderr
    text = path.read_text()
    assert "bias=False" in text and "momentum=0.1" in text and "model.eval()" in text


def test_d17_star_marks_only_fixes_that_fix_applies(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(NET)
    proc = run_cli("check", "--no-cache", "--format", "concise", str(path))
    marked = {line.split()[1]: "[*]" in line for line in proc.stdout.decode().splitlines()}
    assert marked == {"BN204": False, "BN205": False, "BN102": True}
    assert b"1 fixable with --fix" in proc.stderr and b"2 hidden fixes can be enabled with --unsafe-fixes" in proc.stderr
    unsafe = run_cli("check", "--no-cache", "--format", "concise", "--unsafe-fixes", str(path))
    assert all("[*]" in line for line in unsafe.stdout.decode().splitlines())


def test_d17_fixable_and_unfixable_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.bn-lint]\nunsafe-fixes = true\nunfixable = ["BN205"]\n')
    path = tmp_path / "net.py"
    path.write_text(NET)
    proc = run_cli("check", "--no-cache", "--fix", str(path), cwd=tmp_path)
    text = path.read_text()
    assert "bias=False" in text and "momentum=0.9" in text and "model.eval()" in text
    assert proc.returncode == 1
    path.write_text(NET)
    run_cli("check", "--no-cache", "--fix", "--fixable", "BN1", str(path), cwd=tmp_path)
    text = path.read_text()
    assert "bias=False" not in text and "model.eval()" in text


def test_d17_bad_unsafe_fixes_value_is_a_config_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.bn-lint]\nunsafe-fixes = "yes"\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    proc = run_cli("check", "a.py", cwd=tmp_path)
    assert proc.returncode == 2 and b"unsafe-fixes must be true or false" in proc.stderr


def test_d17_rule_pages_state_fix_safety():
    proc = run_cli("rule", "BN204")
    assert b"## Fix safety" in proc.stdout and b"load_state_dict" in proc.stdout and b"--unsafe-fixes" in proc.stdout
    listing = json.loads(run_cli("rules", "--format", "json").stdout)
    safety = {r["code"]: r["fix_safety"] for r in listing if r["fixable"]}
    assert safety == {"BN102": "safe", "BN201": "safe", "BN202": "safe",
                      "BN204": "unsafe", "BN205": "unsafe", "BN302": "unsafe"}
