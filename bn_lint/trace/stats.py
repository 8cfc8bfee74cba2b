"""The picture of a run: per BatchNorm layer, every N training calls, a few reductions of
``running_mean``/``running_var`` computed on the tensors' device, copied to the host in batches
(non-blocking on CUDA, read once their copy is done), and the end-of-run checks (BN401/BN402)."""
from __future__ import annotations

import math

import torch

#: running_var below this (per channel) is "collapsed", above HIGH "exploded" (BN402).
VAR_LOW = 1e-12
VAR_HIGH = 1e8
#: one sample row: training call, batch size, mean/min/max of running_mean and of running_var, and the
#: mode ("train", or "train (no_grad)" / "train (inference_mode)": batch statistics outside training), and the
#: codes of the findings of that call ("" for none: a call that is a finding is always sampled)
COLUMNS = ("step", "batch", "mean_mean", "mean_min", "mean_max", "var_mean", "var_min", "var_max", "mode", "finding")
_FLUSH_ROWS = 256  # device rows gathered before one copy to the host
MAX_ROWS = 4096  # per layer: beyond this, every other row is dropped (the first bad moments are kept apart)


def finite(value) -> bool:
    return value is not None and math.isfinite(value)


class Recorder:
    """Samples of running statistics; ``every`` = 0 records nothing."""

    def __init__(self, every: int) -> None:
        self.every = every
        self._pending: list = []  # (layer, step, batch, mode, device row)
        self._inflight: list = []  # (entries, host tensor, CUDA event or None)

    def due(self, step: int) -> bool:
        return bool(self.every) and (step == 1 or step % self.every == 0)

    def sample(self, layer, mean, var, step: int, batch: int, mode: str = "train", codes: str = "") -> None:
        """Queue one row for ``layer``: kernels on the statistics' device, no host transfer here
        (nothing while a CUDA graph is being captured)."""
        if mean.is_cuda and torch.cuda.is_current_stream_capturing():
            return
        with torch.no_grad():
            both = torch.stack((mean.detach(), var.detach())).float()
            row = torch.stack((both.mean(1), both.amin(1), both.amax(1)), 1).flatten()  # mean's 3, then var's
        self._pending.append((layer, step, batch, mode, codes, row))
        if len(self._pending) >= _FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Start copying the queued rows to the host; rows whose copy is done are filed."""
        by_device: dict = {}
        for entry in self._pending:
            by_device.setdefault(entry[-1].device, []).append(entry)
        self._pending = []
        for device, entries in by_device.items():
            rows = torch.stack([e[-1] for e in entries])
            if device.type == "cuda":
                host = torch.empty(rows.shape, dtype=rows.dtype, device="cpu", pin_memory=True)
                host.copy_(rows, non_blocking=True)
                event = torch.cuda.Event()
                event.record()
            else:
                host, event = rows, None
            self._inflight.append((entries, host, event))
        self._resolve(wait=False)

    def finish(self) -> None:
        """File every row (waits for the copies in flight: the one deliberate sync, at the end)."""
        self.flush()
        self._resolve(wait=True)

    def _resolve(self, wait: bool) -> None:
        still = []
        for entries, host, event in self._inflight:
            if event is not None and not event.query():  # the copy is still running
                if not wait:
                    still.append((entries, host, event))
                    continue
                event.synchronize()
            for (layer, step, batch, mode, codes, _), values in zip(entries, host.tolist()):
                _file(layer, [step, batch, *values, mode, codes])
        self._inflight = still


def _file(layer, row: list) -> None:
    """Keep ``row``; note the first sampled step (and the one before) where the statistics turned
    non-finite or degenerate; thin the rows past ``MAX_ROWS``."""
    samples = layer.samples
    if layer.first_bad is None and non_finite(row):
        layer.first_bad = (row[0], samples[-1][0] if samples else None)
    if layer.first_degenerate is None and degenerate(row):
        layer.first_degenerate = (row[0], samples[-1][0] if samples else None)
    samples.append(row)
    if len(samples) >= MAX_ROWS:  # every other row, the first and the latest kept, and every finding
        last = len(samples) - 1
        samples[:] = [r for i, r in enumerate(samples) if i % 2 == 0 or i == last or (len(r) > 9 and r[9])]
        if len(samples) >= MAX_ROWS:  # findings at most calls: thinned like the rest
            del samples[1:-1:2]


def end_rows(layers) -> list:
    """Per layer with running statistics: (layer, non-finite count, collapsed, exploded, channels,
    running_var min, max), from one device-to-host transfer per device."""
    pending: dict = {}
    for layer in layers:
        m = layer.ref()
        stats = (m.running_mean, m.running_var) if m is not None else layer.stats
        if layer.calls == 0 or stats is None or stats[1] is None or stats[0] is None:
            continue
        mean, var = stats
        if isinstance(var, torch.nn.parameter.UninitializedBuffer) or var.is_meta or var.numel() == 0:
            continue
        with torch.no_grad():
            v = var.detach().float()
            row = torch.stack([
                ((~torch.isfinite(mean)).sum() + (~torch.isfinite(var)).sum()).float(),
                (v < VAR_LOW).sum().float(),
                (v > VAR_HIGH).sum().float(),
                v.amin(),
                v.amax(),
            ])
        pending.setdefault(var.device, []).append((layer, row, var.numel()))
    out = []
    for rows in pending.values():
        values = torch.stack([r for _, r, _ in rows]).cpu().tolist()
        for (layer, _, n), (bad, low, high, vmin, vmax) in zip(rows, values):
            out.append((layer, int(bad), int(low), int(high), n, vmin, vmax))
    return out


def non_finite(row) -> bool:
    return not all(math.isfinite(v) for v in row[2:8])


def degenerate(row) -> bool:
    return finite(row[6]) and finite(row[7]) and (row[6] < VAR_LOW or row[7] > VAR_HIGH)


def layer_table(layers, ends: dict, codes: dict) -> list[dict]:
    """One summary row per layer seen (for the HTML page, ``repr`` and ``--stats-out``)."""
    table = []
    for layer in layers:
        end = ends.get(id(layer))
        bad_step = layer.first_bad[0] if layer.first_bad else None
        if bad_step is None and end is not None and end[1]:
            bad_step = "end"
        high_step = layer.first_degenerate[0] if layer.first_degenerate else None
        table.append({
            "layer": layer.name, "kind": layer.kind, "built": f"{layer.site.path}:{layer.site.line}",
            "modes": sorted(layer.modes), "train_calls": layer.train_calls,
            "eval_calls": layer.calls - layer.train_calls,
            "batch_min": layer.batch_min, "batch_max": layer.batch_max, "momentum": layer.momentum,
            "var_min": None if end is None else _json_number(end[5]),
            "var_max": None if end is None else _json_number(end[6]),
            "first_non_finite": bad_step, "first_degenerate": high_step,
            "codes": sorted(codes.get(id(layer), ())),
        })
    return table


def series(layers) -> dict[str, list[list]]:
    """The sampled rows by layer name (a second layer of the same name gets ``#2``, and so on)."""
    out: dict[str, list[list]] = {}
    for layer in layers:
        if layer.samples:
            key, n = layer.name, 2
            while key in out:
                key, n = f"{layer.name}#{n}", n + 1
            out[key] = [list(row) for row in layer.samples]
    return out


def _json_number(value: float):
    return value if math.isfinite(value) else str(value)


def jsonl_lines(report) -> list[str]:
    """``--stats-out``: one JSON object per sample (non-finite values as the strings "nan"/"inf")."""
    import json

    lines = []
    for name, samples in report.series.items():
        for row in samples:
            item = {"layer": name}
            for key, value in zip(COLUMNS, row):
                item[key] = value if not isinstance(value, float) or math.isfinite(value) else str(value)
            lines.append(json.dumps(item))
    return lines
