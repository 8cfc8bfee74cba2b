"""The pytest plugin: [tool.bn-lint] applies, bn_trace_ignore takes codes, and a test can expect
or read the findings it causes on purpose."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
from test_trace_cli import _LOAD_PLUGIN  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

TESTS = """
    import pytest
    import torch
    from torch import nn


    def test_batch_of_four():
        nn.BatchNorm1d(4)(torch.randn(4, 4))


    def test_eval_forgotten():
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        with torch.no_grad():
            model(torch.randn(16, 3))


    @pytest.mark.bn_trace_ignore("BN101")
    def test_ignore_by_code():
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        with torch.no_grad():
            model(torch.randn(16, 3))


    @pytest.mark.bn_trace_ignore("BN3")
    def test_ignore_other_code_still_fails():
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        with torch.no_grad():
            model(torch.randn(16, 3))


    def test_expect(bn_trace):
        bn_trace.expect("BN101")
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        with torch.no_grad():
            model(torch.randn(16, 3))


    def test_expect_not_seen(bn_trace):
        bn_trace.expect("BN101")
        nn.BatchNorm1d(4)(torch.randn(16, 4))


    def test_read_findings(bn_trace):
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        with torch.no_grad():
            model(torch.randn(16, 3))
        assert [f.code for f in bn_trace.findings] == ["BN101"]


    def test_read_then_new_finding_fails(bn_trace):
        assert bn_trace.findings == []
        nn.BatchNorm1d(4)(torch.randn(2, 4))
"""


def run(tmp_path, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", *_LOAD_PLUGIN, "-q", "-p", "no:cacheprovider",
                           "-rf", *args], cwd=tmp_path, capture_output=True, text=True, timeout=180, env=env)


def failed(result) -> set[str]:
    return {line.split("::")[1].split()[0] for line in result.stdout.splitlines() if line.startswith("FAILED")}


def test_markers_expect_and_findings(tmp_path, write):
    write("test_planted.py", TESTS)
    result = run(tmp_path, "--bn-trace")
    assert failed(result) == {"test_batch_of_four", "test_eval_forgotten", "test_ignore_other_code_still_fails",
                              "test_expect_not_seen", "test_read_then_new_finding_fails"}, result.stdout
    assert "bn-lint trace: expected BN101, not seen" in result.stdout


def test_project_config_applies(tmp_path, write):
    write("test_planted.py", TESTS)
    write("pyproject.toml", """
        [tool.bn-lint]
        ignore = ["BN101"]
        min-batch-size = 2
        """)
    result = run(tmp_path, "--bn-trace")
    # BN101 is off in this project: no test fails for it, and tests that expect or read it do not see it;
    # min-batch-size 2: the batches of four and of two are fine
    assert failed(result) == {"test_expect_not_seen", "test_expect", "test_read_findings"}, result.stdout
    assert run(tmp_path, "--bn-trace", "--bn-trace-min-batch-size", "8", "-k", "four").returncode == 1


def test_a_broken_config_is_a_usage_error(tmp_path, write):
    write("test_planted.py", TESTS)
    write("pyproject.toml", """
        [tool.bn-lint]
        min-batch-size = "many"
        """)
    result = run(tmp_path, "--bn-trace")
    assert result.returncode == 4 and "bn-lint:" in result.stderr and "Traceback" not in result.stderr
