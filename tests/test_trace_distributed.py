"""Under torch.distributed each rank traces itself and the reports are merged (2 CPU processes, gloo)."""
from __future__ import annotations

import json
import os
import sys
from datetime import timedelta

import pytest

torch = pytest.importorskip("torch")
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402
from torch import nn  # noqa: E402

WORLD = 2


def _worker(rank: int, out: str) -> None:
    import bn_lint

    # a file store: no TCP port to pick in advance (one picked free can be taken before rank 0 binds it)
    store = "file://" + os.path.join(out, "store")
    dist.init_process_group("gloo", init_method=store, rank=rank, world_size=WORLD, timeout=timedelta(seconds=30))
    try:
        torch.manual_seed(rank)
        results = {}
        for batch in (4, 16):
            with bn_lint.trace() as report:
                model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
                ddp = nn.parallel.DistributedDataParallel(model)
                for _ in range(2):
                    ddp(torch.randn(batch, 8)).sum().backward()
            results[batch] = [f.to_dict() for f in report.findings]
        with open(os.path.join(out, f"rank{rank}.json"), "w") as handle:
            json.dump(results, handle)
        del model, ddp
        dist.barrier()  # no rank tears its connections down while the other still uses them
    finally:
        dist.destroy_process_group()
    # Skip interpreter finalization: gloo's worker threads can abort there ("terminate called
    # without an active exception", seen once in CI as exit -6) after everything above succeeded.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed unavailable")
def test_ddp_small_per_device_batch_merged_over_ranks(tmp_path):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(rank, str(tmp_path))) for rank in range(WORLD)]
    for p in procs:
        p.start()
    try:
        for p in procs:
            p.join(90)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
    assert [p.exitcode for p in procs] == [0] * WORLD
    reports = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(WORLD)]
    assert reports[0] == reports[1]  # merged: every rank holds the same report
    (finding,) = reports[0]["4"]
    assert finding["code"] == "BN304" and finding["line"] == _line("ddp(torch.randn(batch, 8))")  # the training call
    assert finding["message"].startswith("DistributedDataParallel: per-device batch 4")
    assert "4 calls; 1 BatchNorm layer: module.1" in finding["message"]
    assert "ranks 0, 1" in finding["message"] and "convert_sync_batchnorm" in finding["message"]
    assert reports[0]["16"] == []


def _line(text: str) -> int:
    with open(__file__, encoding="utf-8") as handle:
        return next(n for n, line in enumerate(handle, 1) if text in line)
