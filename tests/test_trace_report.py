"""What a run's report holds beyond the findings: the per-layer table, the sampled running
statistics, a readable repr and notebook HTML, live printing from the Python API."""
from __future__ import annotations

import json
import math

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import bn_lint  # noqa: E402
from bn_lint.trace.html import line_plot, render_page  # noqa: E402
from bn_lint.trace.report import TraceReport  # noqa: E402
from bn_lint.trace.stats import jsonl_lines  # noqa: E402


def run_small(stats_every=2, steps=6):
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8, momentum=0.2), nn.ReLU(), nn.Linear(8, 8),
                          nn.BatchNorm1d(8))
    with bn_lint.trace(model, stats_every=stats_every) as report:
        for step in range(steps):
            model(torch.randn(16 + step, 4) * 3 + 1).sum().backward()
        model.eval()
        with torch.no_grad():
            model(torch.randn(5, 4))
    return report


def test_layer_table_holds_modes_batches_momentum_and_final_variance():
    report = run_small()
    first, second = report.table
    assert first["layer"] == "model.1" and first["kind"] == "BatchNorm1d" and first["modes"] == ["eval", "train"]
    assert (first["train_calls"], first["eval_calls"]) == (6, 1)
    assert (first["batch_min"], first["batch_max"]) == (5, 21)
    assert (first["momentum"], second["momentum"]) == (0.2, 0.1)
    assert 0 < first["var_min"] <= first["var_max"] and first["first_non_finite"] is None
    # built before tracing, by torch's Sequential: located at its first call
    assert first["codes"] == [] and first["built"].endswith(f"test_trace_report.py:{_line('* 3 + 1).sum()')}")


def _line(text: str) -> int:
    with open(__file__, encoding="utf-8") as handle:
        return next(n for n, line in enumerate(handle, 1) if text in line)


def test_running_statistics_are_sampled_every_n_training_calls():
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
    with bn_lint.trace(model, stats_every=2) as report:
        for step in range(6):
            model(torch.randn(16 + step % 2, 4))
    rows = report.series["model.1"]
    # every 2nd call, and the first call with the largest batch (17, call 2) whatever N
    assert [r[0] for r in rows] == [1, 2, 4, 6] and [r[1] for r in rows] == [16, 17, 17, 17]
    for _, _, mean, low, high, var, vlow, vhigh, mode, finding in rows:
        assert mode == "train" and finding == ""
        assert low <= mean <= high and vlow <= var <= vhigh
    grown = run_small(stats_every=2).series["model.1"]  # a larger batch at every call: each one recorded
    assert [r[0] for r in grown] == [1, 2, 3, 4, 5, 6]
    assert run_small(stats_every=0).series == {}


def test_sampled_values_are_the_running_statistics_after_the_call():
    bn = nn.BatchNorm1d(3)
    with bn_lint.trace(stats_every=1) as report:
        bn(torch.randn(32, 3))
    (row,) = report.series["BatchNorm1d"]
    mean, var = bn.running_mean, bn.running_var
    expected = [mean.mean(), mean.min(), mean.max(), var.mean(), var.min(), var.max()]
    assert row[2:8] == pytest.approx([float(v) for v in expected]) and row[8:] == ["train", ""]


def test_jsonl_writes_non_finite_values_as_strings():
    bn = nn.BatchNorm1d(3)
    with bn_lint.trace(stats_every=1) as report:
        bn(torch.full((8, 3), float("nan")))
    (line,) = jsonl_lines(report)
    item = json.loads(line)
    assert item["mean_mean"] == "nan" and item["step"] == 1 and item["batch"] == 8
    assert report.table[0]["first_non_finite"] == 1
    (finding,) = report.findings
    assert finding.code == "BN401" and "first seen at training step 1" in finding.message


def test_repr_is_a_summary_then_one_line_per_finding():
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
    with bn_lint.trace(model) as report:
        with torch.no_grad():
            model(torch.randn(16, 4))  # evaluation
    text = repr(report)
    head, line = text.splitlines()
    assert head == "<TraceReport: 1 finding in 1 BatchNorm layer (1 call)>"
    assert line.startswith(f"  BN101 tests/test_trace_report.py:{_line('# evaluation')}: model (Sequential): evaluated")
    assert "Record(" not in text and len(text) < 400
    html = report._repr_html_()
    assert html.count("<table") == 2 and "BN101" in html and "model.1" in html


def test_live_prints_each_finding_once_when_first_seen(capsys):
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
    with bn_lint.trace(live=True):
        with torch.no_grad():
            for step in range(3):
                model(torch.randn(16, 4))
                if step == 0:
                    assert capsys.readouterr().err.count(": BN101 ") == 1  # before the block ends
    assert ": BN101" not in capsys.readouterr().err


def test_report_round_trips_with_table_and_series():
    report = run_small()
    again = TraceReport.from_dict(json.loads(report.dumps()))
    assert again.table == report.table and again.series == report.series and again.stats_every == 2


def test_page_is_self_contained_and_escapes_names():
    report = run_small()
    report.series["<b>x</b>"] = report.series["model.1"]
    page = render_page(report, title="t <script>")
    assert "<script>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page and "<svg" in page


def test_plot_breaks_lines_at_non_finite_values_and_marks_moments():
    svg = line_plot({"a": [(1, 1.0), (2, math.nan), (3, 2.0), (4, 3.0)]}, {"a": "#000"}, [(2, "BN401 a", "#f00")])
    assert svg.count("<circle") == 1 and svg.count("<polyline") == 1 and 'class="marker"' in svg
    log = line_plot({"a": [(1, 0.0), (2, 1e-3), (3, 1.0)]}, {"a": "#000"}, [], log=True)
    assert log.count("<polyline") == 1  # 0 has no logarithm: left out


def test_long_runs_keep_a_bounded_number_of_rows_and_the_first_bad_step(monkeypatch):
    from bn_lint.trace import stats

    monkeypatch.setattr(stats, "MAX_ROWS", 16)
    bn = nn.BatchNorm1d(3)
    with bn_lint.trace(stats_every=1) as report:
        for step in range(1, 101):
            x = torch.randn(8, 3)
            if step == 37:
                x[0, 0] = float("inf")
            bn(x)
    rows = report.series["BatchNorm1d"]
    assert len(rows) < 16 and rows[0][0] == 1 and rows[-1][0] == 100
    assert report.table[0]["first_non_finite"] == 37
    assert "first seen at training step 37 (finite at step 36)" in report.findings[0].message
