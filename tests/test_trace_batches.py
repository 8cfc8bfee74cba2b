"""BN302 at run time (issue 45, N5): a training batch of one sample, and the DataLoader whose
last batch will hold one, predicted when it is first iterated."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import bn_lint  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}

CONV_33 = textwrap.dedent("""\
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(8 * 16, 2))
    data = TensorDataset(torch.randn(33, 3, 8, 8), torch.randint(0, 2, (33,)))
    loader = DataLoader(data, batch_size=8, shuffle=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(2):
        model.train()
        for images, labels in loader:
            loss = nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    """)


def line_of(text: str, source: str) -> int:
    return next(n for n, line in enumerate(source.splitlines(), 1) if text in line)


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "bn_lint", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=ENV, cwd=cwd)


@pytest.fixture(scope="module")
def conv_script(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bn302")
    (folder / "train.py").write_text(CONV_33)
    return folder


def test_check_and_trace_both_report_the_loader_of_33_in_batches_of_8(conv_script):
    checked = run("check", "--format", "json", "--select", "BN302", "train.py", cwd=conv_script)
    assert [f["code"] for f in json.loads(checked.stdout)] == ["BN302"], checked.stdout + checked.stderr
    traced = run("trace", "--format", "json", "train.py", cwd=conv_script)
    assert traced.returncode == 0, traced.stderr
    found = [f for f in json.loads(traced.stdout) if f["code"] == "BN302"]
    assert len(found) == 1, traced.stdout
    assert found[0]["severity"] == "error"


def test_a_one_sample_training_batch_of_a_conv_net_is_bn302_at_the_model_call():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
    with bn_lint.trace() as report:
        model(torch.randn(8, 3, 8, 8))
        model(torch.randn(1, 3, 8, 8))  # the one-sample call
        model.eval()
        model(torch.randn(1, 3, 8, 8))  # evaluation: one sample is fine
    (finding,) = report.findings
    assert finding.code == "BN302" and finding.severity.value == "error"
    assert finding.line == line_of("# the one-sample call", Path(__file__).read_text())
    assert "a batch of one sample (1, 4, 8, 8)" in finding.message


def test_batchnorm1d_on_one_sequence_is_bn302_and_one_vector_stays_bn301():
    with bn_lint.trace() as report:
        nn.BatchNorm1d(4)(torch.randn(1, 4, 16))
    assert [f.code for f in report.findings] == ["BN302"]
    with bn_lint.trace() as report:
        with pytest.raises(ValueError):
            nn.BatchNorm1d(4)(torch.randn(1, 4))
    assert [(f.code, f.severity.value) for f in report.findings] == [("BN301", "error")]
