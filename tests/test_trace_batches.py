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
from bn_lint.trace.core import Tracer  # noqa: E402

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


def test_the_loader_is_reported_at_its_construction_line_when_the_first_epoch_starts(conv_script):
    """BN302 at the DataLoader line, announced (--live) before the first epoch's last batch, counting the
    one-sample batches of both epochs on the same finding."""
    script = conv_script / "live.py"
    source = CONV_33.replace("optimizer.step()", "optimizer.step()\n        print('step', file=sys.stderr)")
    source = source.replace("import torch\n", "import sys\nimport torch\n", 1)
    script.write_text(source)
    traced = subprocess.run([sys.executable, "-u", "-m", "bn_lint", "trace", "--live", "--format", "json", "live.py"],
                            capture_output=True, text=True, timeout=300, env=ENV, cwd=conv_script)
    assert traced.returncode == 0, traced.stderr
    (found,) = json.loads(traced.stdout[traced.stdout.index("["):])
    assert (found["code"], found["line"]) == ("BN302", line_of("loader = DataLoader(", source))
    assert "a DataLoader of 33 samples in batches of 8 without drop_last" in found["message"]
    assert "[2 calls" in found["message"]  # the last batch of each of the 2 epochs
    # announced when the first epoch started, before its first step (its last batch is step 5)
    lines = traced.stderr.splitlines()
    live = [n for n, line in enumerate(lines) if "BN302" in line]
    steps = [n for n, line in enumerate(lines) if line == "step"]
    assert len(live) == 1 and len(steps) == 10 and live[0] < steps[0]


def test_prediction_in_process_before_the_last_batch_and_only_for_training():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
    data = TensorDataset(torch.randn(17, 3, 8, 8))
    seen = []
    with Tracer(on_finding=seen.append) as report:
        train_loader = DataLoader(data, batch_size=4)  # 17 = 4 * 4 + 1
        for step, (x,) in enumerate(train_loader):
            model(x)
            if step == 0:
                assert [f.code for f in seen] == ["BN302"]  # at the first batch, not the last
    (finding,) = report.findings
    assert finding.line == line_of("train_loader = DataLoader(data, batch_size=4)", Path(__file__).read_text())
    assert "[1 call;" in finding.message  # the one-sample batch, counted on the prediction

    # evaluation only (eval mode, or no grad), drop_last, a length that leaves 2, a sampler's length: no finding
    with bn_lint.trace() as report:
        model.eval()
        for (x,) in DataLoader(data, batch_size=4):
            model(x)
        model.train()
        with torch.no_grad():
            for (x,) in DataLoader(data, batch_size=4):
                model(x).sum()
        for (x,) in DataLoader(data, batch_size=4, drop_last=True):
            model(x)
        for (x,) in DataLoader(data, batch_size=5):  # 17 = 3 * 5 + 2
            model(x)
        sampler = torch.utils.data.RandomSampler(data, num_samples=16)
        for (x,) in DataLoader(data, batch_size=5, sampler=sampler):  # 16 = 3 * 5 + 1
            model(x)
        batches = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(data), 8, drop_last=False)
        for (x,) in DataLoader(data, batch_sampler=batches):  # 17 = 2 * 8 + 1
            model(x)
    # the sampler's loader and the batch sampler's; the no-grad loop's one-sample batch is BN101's (training mode
    # under no_grad)
    assert [f.code for f in report.findings if f.code == "BN302"] == ["BN302"] * 2, [f.message for f in report.findings]
    assert any("17 samples in batches of 8" in f.message for f in report.findings)
    no_grad_bn101 = [f for f in report.findings if f.code == "BN101"]
    assert len(no_grad_bn101) == 1
    sampled = [f for f in report.findings if f.code == "BN302" and "16 samples in batches of 5" in f.message]
    assert len(sampled) == 1  # the sampler's length, not the dataset's


def test_a_shape_probe_in_init_and_a_no_grad_call_are_not_bn302():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten())
            self.fc = nn.Linear(self.features(torch.zeros(1, 3, 8, 8)).shape[1], 2)  # the size of the features

        def forward(self, x):
            return self.fc(self.features(x))

    with bn_lint.trace() as report:
        net = Net()
        net(torch.randn(8, 3, 8, 8)).sum().backward()
    assert report.findings == []
    with bn_lint.trace() as report:
        with torch.no_grad():
            net(torch.randn(1, 3, 8, 8))
    assert [f.code for f in report.findings] == ["BN101"]  # training mode without grad: BN101, not BN302
