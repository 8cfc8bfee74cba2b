"""`bn-lint trace` on the runtime fixtures, and the pytest plugin on a planted test."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
from click.testing import CliRunner  # noqa: E402

from bn_lint.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = sorted((ROOT / "fixtures" / "runtime").glob("*.py"))
EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")
STATUS = {"bn202_wrong_variant.py": 1, "bn301_batch_of_one.py": 1}


def expected(path: Path) -> list[tuple[str, int]]:
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = EXPECT.search(line)
        if match:
            out += [(code.strip(), number) for code in match.group(1).split(",") if code.strip()]
    return sorted(out)


def trace(*args: str):
    return CliRunner().invoke(main, ["trace", *args], catch_exceptions=False)


@pytest.mark.parametrize("path", RUNTIME, ids=lambda p: p.name)
def test_runtime_fixture(path, tmp_path):
    out = tmp_path / "report.json"
    result = trace("--format", "json", "--output", str(out), str(path))
    assert result.exit_code == STATUS.get(path.name, 0), result.output
    findings = json.loads(out.read_text())
    got = sorted((f["code"], f["line"]) for f in findings)
    assert got == expected(path), findings
    assert all(Path(f["path"]).resolve() == path for f in findings)
    assert path.name.split("_")[0].upper() in (path.read_text().split('"""')[1])  # docstring states the code


def test_fail_on_findings_and_script_arguments(write):
    script = write("s.py", """
        import sys
        import torch
        from torch import nn
        bn = nn.BatchNorm1d(4)
        bn(torch.randn(int(sys.argv[1]), 4))
        """)
    assert trace(str(script), "2").exit_code == 0
    assert trace("--fail-on-findings", str(script), "2").exit_code == 1
    assert trace("--fail-on-findings", str(script), "16").exit_code == 0
    assert trace("--fail-on-findings", "--min-batch-size", "2", str(script), "2").exit_code == 0
    assert trace("--fail-on-findings", "--ignore", "BN301", str(script), "2").exit_code == 0
    result = trace("--format", "concise", str(script), "3")
    assert re.search(r"s\.py:5:1: BN301 BatchNorm1d: 3 values per channel", result.output), result.output


def test_script_exit_status_is_kept(write):
    script = write("s.py", "import sys\nsys.exit(3)\n")
    assert trace(str(script)).exit_code == 3


def test_report_printed_when_the_script_dies_in_a_subprocess():
    path = ROOT / "fixtures" / "runtime" / "bn202_wrong_variant.py"
    result = subprocess.run([sys.executable, "-m", "bn_lint", "trace", "--format", "concise", str(path)],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1
    assert "ValueError: expected 4D input (got 2D input)" in result.stderr
    assert "bn202_wrong_variant.py:12:5: BN202" in result.stdout


PLANTED = """
    import torch
    from torch import nn


    def test_tiny_batch():
        nn.BatchNorm1d(4)(torch.randn(2, 4))


    def test_fine():
        nn.BatchNorm1d(4)(torch.randn(16, 4))


    def test_fixture(bn_trace):
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        with torch.no_grad():
            model(torch.randn(16, 3))


    def test_fixture_clean(bn_trace):
        nn.BatchNorm1d(4)(torch.randn(16, 4))
        assert bn_trace.finish().findings == []
"""


def _plugin_installed() -> bool:
    from importlib.metadata import entry_points

    return any(ep.value == "bn_lint.trace.pytest_plugin" for ep in entry_points(group="pytest11"))


# an installed bn-lint registers the plugin itself (pytest11 entry point); a checkout run loads it by name
_LOAD_PLUGIN = () if _plugin_installed() else ("-p", "bn_lint.trace.pytest_plugin")


def test_pytest_plugin_fails_planted_tests(write, tmp_path):
    write("test_planted.py", PLANTED)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "pytest", *_LOAD_PLUGIN, "-q", "-p", "no:cacheprovider",
            "test_planted.py"]
    result = subprocess.run([*base, "--bn-trace"], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 1, result.stdout
    assert "2 failed, 2 passed" in result.stdout, result.stdout
    assert "FAILED test_planted.py::test_tiny_batch" in result.stdout
    assert "FAILED test_planted.py::test_fixture" in result.stdout and "BN101" in result.stdout
    result = subprocess.run(base, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert "1 failed, 3 passed" in result.stdout, result.stdout  # without --bn-trace: only the fixture's test


def test_check_run_and_plugin_session_without_tracing_do_not_import_torch(write, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = ("import sys\nfrom bn_lint.cli import main\n"
            "try:\n    main(['check', '--format', 'concise', sys.argv[1]])\nexcept SystemExit as e:\n"
            "    assert e.code in (0, 1), e.code\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    subprocess.run([sys.executable, "-c", code, str(ROOT / "fixtures" / "runtime")], check=True, timeout=120,
                   env=env, capture_output=True)
    write("test_plain.py", """
        import sys


        def test_no_torch():
            assert "torch" not in sys.modules
        """)
    result = subprocess.run([sys.executable, "-m", "pytest", *_LOAD_PLUGIN, "-q",
                             "-p", "no:cacheprovider", "test_plain.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout
