"""The tracer on a GPU: the same findings as on CPU, no host-device sync in the hot path, no change
to what the model computes, and no breakage of AMP, channels_last or CUDA graph capture.

Every test here needs CUDA and skips cleanly without it (CI has no GPU).
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import bn_lint  # noqa: E402
from test_trace_cli import RUNTIME, STATUS, expected  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
ROOT = Path(__file__).resolve().parent.parent


def codes(report):
    return sorted(f.code for f in report.findings)


def conv_net():
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 32, bias=False), nn.BatchNorm1d(32))


class sync_forbidden:
    """Any host-device synchronisation inside the block raises (torch's sync debug mode)."""

    def __enter__(self):
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")

    def __exit__(self, *exc):
        torch.cuda.set_sync_debug_mode(0)
        return False


# The runtime fixtures, run with CUDA as torch's default device: the same codes at the same lines.
RUN_ON_CUDA = """
import sys, torch
torch.set_default_device("cuda")
from bn_lint.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("path", RUNTIME, ids=lambda p: p.name)
def test_runtime_fixture_on_cuda(path, tmp_path):
    out = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-c", RUN_ON_CUDA, "trace", "--format", "json", "--output", str(out),
                             str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                                 "NO_COLOR": "1"})
    assert result.returncode == STATUS.get(path.name, 0), result.stdout + result.stderr
    findings = json.loads(out.read_text())
    assert sorted((f["code"], f["line"]) for f in findings) == expected(path), findings


def test_default_device_really_is_cuda_in_the_fixture_runs():
    probe = "import torch; torch.set_default_device('cuda'); from torch import nn; print(nn.BatchNorm1d(4).weight.device)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "cuda:0", result.stderr


def test_training_evaluation_and_end_checks_never_sync_in_the_hot_path():
    model = conv_net().cuda()
    x = torch.randn(32, 3, 16, 16, device="cuda")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    model(x)  # warm-up outside sync-debug mode (cuDNN picks its kernels)
    tracer = bn_lint.trace(model, gather=False, functional=True)
    with sync_forbidden():
        tracer.start()
        for _ in range(3):
            loss = model(x).square().mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            model(x)  # evaluation forgotten: BN101, seen without a sync
        model.eval()
        with torch.no_grad():
            model(x)
    report = tracer.stop()  # the end-of-run statistics check syncs once, on purpose
    assert codes(report) == ["BN101"]  # one finding for the evaluation call, naming the 3 layers
    assert report.findings[0].message.endswith("[1 call; 3 BatchNorm layers: 1, 4, 9]")


def test_stats_recording_never_syncs_and_reaches_the_host():
    """Every training call sampled (stats_every=1) and copies started every 256 rows: still no sync."""
    model = conv_net().cuda()
    x = torch.randn(32, 3, 16, 16, device="cuda")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    model(x)
    tracer = bn_lint.trace(model, gather=False, stats_every=1)
    with sync_forbidden():
        tracer.start()
        for _ in range(100):  # 300 rows: one non-blocking copy to pinned memory on the way
            loss = model(x).square().mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    report = tracer.stop()
    assert len(report.series) == 3 and all(len(rows) == 100 for rows in report.series.values())
    assert [row[0] for row in report.series["model.1"]] == list(range(1, 101))
    assert all(row[1] == 32 for rows in report.series.values() for row in rows)


def test_nan_and_collapsed_statistics_on_the_gpu():
    bad = nn.BatchNorm1d(4).cuda()
    flat = nn.BatchNorm1d(4, momentum=None).cuda()
    with bn_lint.trace() as report:
        batch = torch.randn(16, 4, device="cuda")
        batch[3, 2] = float("inf")
        bad(batch)
        flat(torch.zeros(16, 4, device="cuda"))
    assert codes(report) == ["BN401", "BN402"]


def test_outputs_and_running_statistics_are_unchanged_by_tracing():
    torch.manual_seed(0)
    plain = conv_net().cuda()
    traced = copy.deepcopy(plain)
    x = torch.randn(16, 3, 16, 16, device="cuda")
    torch.backends.cudnn.deterministic = True
    try:
        expected_out = plain(x)
        with bn_lint.trace(traced):
            got = traced(x)
    finally:
        torch.backends.cudnn.deterministic = False
    assert torch.equal(got, expected_out)
    for a, b in zip(plain.buffers(), traced.buffers()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["fp16", "bf16"])
def test_autocast_training_is_clean_and_evaluation_in_train_mode_is_found(dtype):
    model = conv_net().cuda().to(memory_format=torch.channels_last)
    x = torch.randn(32, 3, 16, 16, device="cuda").to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    scaler = torch.amp.GradScaler("cuda", enabled=dtype == torch.float16)
    with bn_lint.trace(model) as report:
        for _ in range(2):
            with torch.autocast("cuda", dtype=dtype):
                loss = model(x).float().square().mean()
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
    assert codes(report) == []
    with bn_lint.trace(model) as report:
        with torch.no_grad(), torch.autocast("cuda", dtype=dtype):
            model(x)
    assert codes(report) == ["BN101"]
    assert report.findings[0].path.endswith("test_trace_cuda.py")


def test_wrong_width_and_rank_on_the_gpu():
    with bn_lint.trace() as report:
        silent = nn.BatchNorm2d(64, affine=False, track_running_stats=False).cuda()
        silent(torch.randn(8, 48, 4, 4, device="cuda"))
        wrong = nn.BatchNorm2d(8).cuda()
        with pytest.raises(ValueError):
            wrong(torch.randn(8, 8, device="cuda"))
    assert codes(report) == ["BN201", "BN202"]


def test_cuda_graph_capture_and_replay_with_the_tracer_on():
    model = conv_net().cuda().eval()
    static_x = torch.randn(16, 3, 16, 16, device="cuda")
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            model(static_x)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with bn_lint.trace(model) as report:
        with torch.cuda.graph(graph):  # capture fails on any sync the hooks would make
            static_out = model(static_x)
        new_x = torch.randn(16, 3, 16, 16, device="cuda")
        static_x.copy_(new_x)
        graph.replay()
        torch.cuda.synchronize()
    assert torch.allclose(static_out, model(new_x), atol=1e-5)
    assert codes(report) == [] and not report.warnings
