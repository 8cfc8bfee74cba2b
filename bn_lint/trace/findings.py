"""How the tracer files what it sees: one record per layer, or per top-level model call site
for the codes in ``GROUPED``; BN403 per model; BN401/BN402 at the end of the run."""
from __future__ import annotations

from typing import TYPE_CHECKING

import sys

import torch

from . import stats
from .report import RULES, Record, Site, drop_suppressed
from .sites import frame_site, user_frame

if TYPE_CHECKING:  # pragma: no cover
    from .core import Tracer

#: codes reported once per top-level model call site (the user's line), listing the layers concerned
GROUPED = frozenset({"BN101", "BN301", "BN302", "BN304"})
_UNSET = object()


class TraceFindings:
    """A part of ``Tracer`` (``tracer.findings``): recording hits as findings (the state lives in the tracer)."""

    def __init__(self, tracer: "Tracer") -> None:
        self.tracer = tracer

    # -- findings -------------------------------------------------------------------------------

    def root_site(self, st) -> Site | None:
        """The user's line that called the top-level module now running (resolved once per call)."""
        if st.root_site is _UNSET:
            frame = user_frame(st.root_frame) if st.root_frame is not None else None
            st.root_site = frame_site(frame) if frame is not None else None
        return st.root_site

    def hit(self, code: str, layer, detail: str, error: bool = False, st=None, counted: bool = True) -> None:
        if st is not None:  # this call is a finding: its statistics sample says so (``stats``)
            st.codes = f"{st.codes} {code}" if st.codes else code
        if st is not None and code in GROUPED and st.root is not None:
            site = self.root_site(st)
            if site is not None:
                self.group_hit(code, layer, detail, error, st, site)
                return
        key = (code, id(layer))
        record = self.tracer._records.get(key)
        if record is not None:
            record.count += 1
            if error and record.severity != "error":
                record.severity, record.detail = "error", detail
            return
        severity = "error" if error else RULES[code][1].value
        frame = user_frame(sys._getframe(1))
        first = f"{frame_site(frame).path}:{frame.f_lineno}" if frame is not None else ""
        with self.tracer._lock:
            record = Record(code, severity, layer.name, layer.kind, layer.site, detail, first, count=int(counted))
            if self.tracer._records.setdefault(key, record) is not record:
                return
            self.tracer._record_layers[key] = layer
        self.announce(record)

    def group_hit(self, code, layer, detail, error, st, site, count: int = 1) -> None:
        root = st.root
        label = self.tracer.name if self.tracer.model is not None else type(root).__name__
        key = (code, site.path, site.line, label)
        name = layer.name
        below = name[len(label) + 1:] if name.startswith(label + ".") else ("" if name == label else name)
        with self.tracer._lock:
            record = self.tracer._records.get(key)
            new = record is None
            if new:
                severity = "error" if error else RULES[code][1].value
                kind = type(self.tracer.model if self.tracer.model is not None else root).__name__
                record = self.tracer._records[key] = Record(code, severity, label, kind, site, detail, count=count,
                                                     grouped=True)
                self.tracer._group_layers[key] = {}
                self.tracer._group_calls[key] = st.call_id
            elif self.tracer._group_calls.get(key) != st.call_id:
                self.tracer._group_calls[key] = st.call_id
                record.count += 1
            if error and record.severity != "error":
                record.severity, record.detail = "error", detail
            members = self.tracer._group_layers[key]
            if id(layer) not in members:
                members[id(layer)] = layer
                if below:
                    record.layers.append(below)
                record.layer_sites.append((layer.site.path, layer.site.line))
        if new:
            self.announce(record)

    def announce(self, record: Record) -> None:
        if self.tracer.on_finding is not None:
            try:
                if not drop_suppressed([Record.from_dict(record.to_dict())]):
                    return
                self.tracer.on_finding(record.finding())
            except Exception as error:  # a broken stream must not break the run
                self.tracer._internal(error)

    def mixed_modes(self, root, st) -> None:
        if ("BN403", id(root)) in self.tracer._records:
            self.tracer._records[("BN403", id(root))].count += 1
            return
        if self._explicitly_frozen(root, st):
            return
        first_eval = next(iter(st.eval.values()))
        label = self.tracer.name if self.tracer.model is not None else type(root).__name__
        detail = (f"in eval mode while {len(st.train)} other BatchNorm layer{'s' if len(st.train) != 1 else ''} of "
                  f"the same {label} call {'are' if len(st.train) != 1 else 'is'} in training mode ({len(st.eval)} in "
                  "eval); call train() or eval() on the whole model")
        site = self.root_site(st)
        first = f"{site.path}:{site.line}" if site is not None else ""
        record = Record("BN403", "warning", first_eval.name, first_eval.kind, first_eval.site, detail, first)
        self.tracer._records[("BN403", id(root))] = record
        self.tracer._record_layers[("BN403", id(root))] = first_eval
        self.announce(record)

    def _explicitly_frozen(self, root, st) -> bool:
        """A freezing choice the code states: the eval-mode layers' parameters are frozen too, or a
        module of the model overrides ``train()`` (mode management such as ``norm_eval``)."""
        for layer in st.eval.values():
            m = layer.ref()
            if m is not None and any(p.requires_grad for p in m.parameters(recurse=False)):
                break
        else:
            return True
        known = self.tracer._frozen_roots.get(root)
        if known is None:
            known = any(type(m).train is not torch.nn.Module.train for m in root.modules())
            self.tracer._frozen_roots[root] = known
        return known

    def end_records(self, layers, ends: dict) -> None:
        """BN401 (with the first sampled step that showed it) and BN402, from ``stats.end_rows``."""
        firsts = []
        for layer in layers:
            end = ends.get(id(layer))
            if end is None:
                continue
            _, bad, low, high, n, _, _ = end
            key401, key402 = ("BN401", id(layer)), ("BN402", id(layer))
            if bad and key401 not in self.tracer._records:
                step, before = layer.first_bad or (None, None)
                if step is not None:
                    when = f"; first seen at training step {step}" + (f" (finite at step {before})" if before else "")
                    firsts.append((step, len(firsts), key401))
                elif layer.samples:
                    when = f"; after training step {layer.samples[-1][0]}, the last one sampled"
                else:
                    when = ""
                self.tracer._records[key401] = Record("BN401", "error", layer.name, layer.kind, layer.site,
                                               f"running_mean/running_var hold {bad} non-finite value"
                                               f"{'s' if bad != 1 else ''} (NaN/Inf) at the end of the run{when}",
                                               count=0)
                self.tracer._record_layers[key401] = layer
            elif (low or high) and not bad and key402 not in self.tracer._records:
                parts = []
                if low:
                    parts.append(f"collapsed (< {stats.VAR_LOW:g}) in {low} of {n} channels")
                if high:
                    parts.append(f"exploded (> {stats.VAR_HIGH:g}) in {high} of {n} channels")
                step = layer.first_degenerate[0] if layer.first_degenerate else None
                when = f"; first seen at training step {step}" if step is not None else ""
                self.tracer._records[key402] = Record("BN402", "warning", layer.name, layer.kind, layer.site,
                                               f"running_var {' and '.join(parts)} at the end of the run{when}",
                                               count=0)
                self.tracer._record_layers[key402] = layer
        if len(firsts) > 1:  # the layer where it started (the earliest step, then the first layer called)
            record = self.tracer._records[min(firsts)[2]]
            record.detail += ": the first layer to turn non-finite"

    def codes_by_layer(self) -> dict[int, set]:
        """The codes recorded on each layer (keyed by ``id``); each record learns its layer's name on the way."""
        codes: dict[int, set] = {}
        for key, record in self.tracer._records.items():
            layer = self.tracer._record_layers.get(key)
            if layer is not None:
                record.layer = layer.name
                codes.setdefault(id(layer), set()).add(record.code)
            for member in self.tracer._group_layers.get(key, {}).values():
                codes.setdefault(id(member), set()).add(record.code)
        return codes
