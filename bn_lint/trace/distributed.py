"""Under ``torch.distributed`` every rank traces itself and the reports are merged: when the
trace ends, or, when the program destroys the default process group first (as training
scripts do at their end), just before it does."""
from __future__ import annotations

import torch.distributed as dist

from .report import TraceReport


def _ready() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def exchange(tracer) -> None:
    """All-gather this rank's report (a collective: every rank must call it); peers kept on the tracer."""
    rank = dist.get_rank()
    own = tracer.finish()
    for record in own.records:
        record.ranks = (rank,)
    parts: list = [None] * dist.get_world_size()
    dist.all_gather_object(parts, own.to_dict())
    tracer._peers = (rank, [p for i, p in enumerate(parts) if i != rank and p is not None])


def gather(tracer) -> None:
    """Merge the ranks' reports into ``tracer.report`` (exchanging them now if not done before)."""
    try:
        if tracer._peers is None:
            if not _ready():
                return
            exchange(tracer)
        rank, peers = tracer._peers
        report = tracer.report
        for record in report.records:
            record.ranks = (rank,)
        merged = TraceReport.merge([TraceReport.from_dict(report.to_dict())]
                                   + [TraceReport.from_dict(p) for p in peers])
        report.records, report.layers = merged.records, merged.layers
        report.calls, report.warnings = merged.calls, merged.warnings
        report.table, report.series = merged.table, merged.series
        tracer.merged_rank = rank
    except Exception as error:  # a dead peer or a destroyed group: keep this rank's report
        tracer.report.warnings.append(f"could not merge the ranks' reports: {error}")


class DestroyGuard:
    """While a gathering tracer is active, ``dist.destroy_process_group()`` (the default group)
    first exchanges the ranks' reports."""

    def __init__(self, tracer) -> None:
        self.tracer = tracer
        self.original = None

    def install(self) -> None:
        if not dist.is_available():
            return
        self.original = original = dist.destroy_process_group
        tracer = self.tracer

        def destroy_process_group(group=None, *args, **kwargs):
            if group is None and tracer.active and tracer._peers is None and _ready():
                try:
                    exchange(tracer)
                except Exception as error:
                    tracer.report.warnings.append(f"could not merge the ranks' reports: {error}")
            return original(group, *args, **kwargs)

        self.wrapper = destroy_process_group
        dist.destroy_process_group = destroy_process_group

    def remove(self) -> None:
        if self.original is not None and getattr(dist, "destroy_process_group", None) is self.wrapper:
            dist.destroy_process_group = self.original
        self.original = None
