"""The HTML report's plots with the default sampling (issue 45, N6 and N15): the calls that are
findings and the smallest/largest batches are recorded whatever ``stats_every`` says, and red
means a finding on every plot."""
from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import bn_lint  # noqa: E402
from bn_lint.trace.html import FINDING, _COLORS, render_page  # noqa: E402


def conv_run(stats_every=10):
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 8 * 8, 2))
    data = TensorDataset(torch.randn(33, 3, 8, 8))
    with bn_lint.trace(stats_every=stats_every) as report:
        loader = DataLoader(data, batch_size=8)
        for epoch in range(3):
            model.train()
            for (x,) in loader:
                model(x).sum().backward()
            with torch.no_grad():  # an "evaluation" without model.eval(): overwrites the running statistics
                model(data.tensors[0][:16])
    return report


def test_default_sampling_records_the_last_batch_and_every_no_grad_overwrite():
    report = conv_run()
    rows = report.series["Sequential.1"]
    assert min(r[1] for r in rows) == 1 and max(r[1] for r in rows) == 16  # the min and max batch are there
    assert [r[1] for r in rows if "BN302" in r[9]] == [1, 1, 1]  # each epoch's one-sample batch
    assert len([r for r in rows if r[9] == "BN101" and r[8] == "train (no_grad)"]) == 3  # each overwrite
    assert [r[0] for r in rows if not r[9]][:2] == [1, 10]  # the others: the first call, every 10th


def test_red_means_a_finding_on_every_plot():
    page = render_page(conv_run())
    figures = dict(re.findall(r'<figure class="plot" id="([\w-]+)">(.*?)</figure>', page, re.S))
    assert set(figures) == {"plot-mean", "plot-var", "plot-batch"}
    for ident, body in figures.items():
        dots = re.findall(r'<circle class="finding"[^>]*fill="([^"]+)"><title>([^<]*)</title>', body)
        assert dots and {color for color, _ in dots} == {FINDING}, ident
        titles = [title for _, title in dots]
        assert any(t.startswith("BN101 ") for t in titles)
        assert "red: a finding (BN101, BN302)" in body
        assert FINDING not in re.sub(r'<circle class="finding".*?</circle>|<span><i style="background:#d62728">',
                                     "", body), ident  # red nowhere else
    batch = figures["plot-batch"]
    assert sum(t.startswith("BN302 ") for _, t in re.findall(
        r'<circle class="finding"[^>]*fill="([^"]+)"><title>([^<]*)</title>', batch)) == 3
    assert FINDING not in _COLORS
