"""What the tracer saw, as ``Finding`` objects; no torch here (merging and printing need none)."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import TextIO

from ..finding import Finding, Severity

#: code -> (name, default severity), as the rule pages give them (`bn-lint rules`, rules/).
RULES = {
    "BN101": ("missing-eval", Severity.ERROR),
    "BN103": ("eval-never-reset", Severity.ERROR),
    "BN105": ("frozen-bn-still-updating", Severity.WARNING),
    "BN201": ("num-features-mismatch", Severity.ERROR),
    "BN202": ("wrong-variant", Severity.ERROR),
    "BN203": ("sequence-layout", Severity.ERROR),
    "BN301": ("tiny-batch", Severity.WARNING),
    "BN302": ("last-batch-of-one", Severity.ERROR),
    "BN304": ("small-per-device-batch", Severity.WARNING),
    "BN401": ("non-finite-running-stats", Severity.ERROR),
    "BN402": ("degenerate-running-var", Severity.WARNING),
    "BN403": ("mixed-mode-model", Severity.WARNING),
}


@dataclass(frozen=True)
class Site:
    """Where a BatchNorm layer was constructed (1-based line and column, end exclusive)."""

    path: str
    line: int
    column: int = 1
    end_line: int = 0
    end_column: int = 0
    exact: bool = True  # False: a fallback (the owner's class or the layer's class definition)
    how: str = ""  # for a fallback: what the line is, e.g. "`self.bn1 =` in Block"


@dataclass
class Record:
    """One finding of one layer: counted on every occurrence, described by the first."""

    code: str
    severity: str
    layer: str  # module path, e.g. model.layer1.0.bn1
    kind: str  # the layer's class name
    site: Site
    detail: str  # the first occurrence
    first_call: str = ""  # file:line of the user's call that first showed it
    count: int = 1  # 0: an end-of-run check
    ranks: tuple[int, ...] = ()
    #: a finding of a top-level model call: ``site`` is the user's call, ``count`` counts model calls and
    #: ``layers`` are the BatchNorm layers concerned (module paths below ``layer``) and ``layer_sites`` where
    #: they were built (also when the top-level module is the layer itself, and ``layers`` is empty)
    grouped: bool = False
    layers: list[str] = field(default_factory=list)
    layer_sites: list[tuple[str, int]] = field(default_factory=list)

    @property
    def key(self) -> tuple:
        return (self.code, self.layer, self.site.path, self.site.line)

    def layer_note(self) -> str:
        n = len(self.layers)
        if not n:
            return ""
        shown = ", ".join(self.layers[:_SHOWN]) + (f", +{n - _SHOWN} more" if n > _SHOWN else "")
        return f"{n} BatchNorm layer{'s' if n != 1 else ''}: {shown}"

    def finding(self) -> Finding:
        name = RULES[self.code][0]
        notes = []
        if self.count:
            unit = "optimizer step" if self.code in _PER_STEP else "call"
            notes.append(f"{self.count} {unit}{'s' if self.count != 1 else ''}")
        if self.grouped and self.layers:
            notes.append(self.layer_note())
        if self.first_call and not self.grouped:
            notes.append(f"first at {self.first_call}")
        if self.ranks:
            notes.append(f"rank{'s' if len(self.ranks) > 1 else ''} {', '.join(map(str, self.ranks))}")
        built = ""
        if not self.site.exact:
            built = " (built before tracing started" + (f"; shown at {self.site.how})" if self.site.how else ")")
        label = self.layer if self.layer == self.kind else f"{self.layer} ({self.kind})"
        message = f"{label}: {self.detail}" + (f" [{'; '.join(notes)}]" if notes else "") + built
        site = self.site
        return Finding(
            code=self.code,
            name=name,
            severity=Severity(self.severity),
            path=site.path,
            line=site.line,
            column=site.column,
            end_line=site.end_line or site.line,
            end_column=site.end_column or site.column + 1,
            message=message,
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ranks"] = list(self.ranks)
        data["layer_sites"] = [list(s) for s in self.layer_sites]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Record":
        data = dict(data)
        data["site"] = Site(**data["site"])
        data["ranks"] = tuple(data.get("ranks", ()))
        data["layer_sites"] = [tuple(s) for s in data.get("layer_sites", ())]
        return cls(**data)


_SHOWN = 6  # layers named in a grouped finding's message
_PER_STEP = frozenset({"BN103", "BN105"})  # counted per optimizer step (``steps``)


@dataclass
class TraceReport:
    """The records of one run (or of several ranks, merged). ``findings`` is what reporters print."""

    records: list[Record] = field(default_factory=list)
    layers: int = 0  # BatchNorm layers seen
    calls: int = 0  # BatchNorm calls seen
    warnings: list[str] = field(default_factory=list)
    #: one row per BatchNorm layer (see ``stats.LayerTable``) and its sampled running statistics
    table: list[dict] = field(default_factory=list)
    series: dict[str, list[list]] = field(default_factory=dict)
    stats_every: int = 0

    @property
    def findings(self) -> list[Finding]:
        return sorted((r.finding() for r in self.records), key=lambda f: f.sort_key)

    def __bool__(self) -> bool:  # `if report:` means "there are findings"
        return bool(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def codes(self) -> list[str]:
        return sorted(r.code for r in self.records)

    def select(self, is_selected) -> "TraceReport":
        """A copy keeping the records whose code ``is_selected(code)`` accepts."""
        return TraceReport([r for r in self.records if is_selected(r.code)], self.layers, self.calls,
                           list(self.warnings),
                           self.table, self.series, self.stats_every)

    def to_dict(self) -> dict:
        return {"records": [r.to_dict() for r in self.records], "layers": self.layers, "calls": self.calls,
                "warnings": list(self.warnings), "table": self.table, "series": self.series,
                "stats_every": self.stats_every}

    @classmethod
    def from_dict(cls, data: dict) -> "TraceReport":
        return cls([Record.from_dict(r) for r in data["records"]], data["layers"], data["calls"],
                   list(data["warnings"]),
                   list(data.get("table", ())), dict(data.get("series", {})), data.get("stats_every", 0))

    @classmethod
    def merge(cls, reports: list["TraceReport"]) -> "TraceReport":
        """One report from several (one per rank): same finding of the same layer counted once, counts summed."""
        merged: dict[tuple, Record] = {}
        out = cls()
        for report in reports:
            if not out.table:  # the layer table and plots: the first rank's (rank 0 under torch.distributed)
                out.table, out.series, out.stats_every = report.table, report.series, report.stats_every
            out.layers = max(out.layers, report.layers)
            out.calls += report.calls
            for warning in report.warnings:
                if warning not in out.warnings:
                    out.warnings.append(warning)
            for record in report.records:
                have = merged.get(record.key)
                if have is None:
                    merged[record.key] = Record.from_dict(record.to_dict())
                else:
                    have.count += record.count
                    have.ranks = tuple(sorted(set(have.ranks) | set(record.ranks)))
        out.records = list(merged.values())
        return out

    def render(self, stream: TextIO, fmt: str = "full") -> None:
        """Print the findings with the reporters of ``bn-lint check``."""
        from ..report import ReportContext, render

        render(fmt, self.findings, stream, ReportContext(files_checked=len({r.site.path for r in self.records}),
                                                         line_of=_line_of))

    def summary(self) -> str:
        n = len(self.records)
        return (f"bn-lint trace: {n} finding{'s' if n != 1 else ''} in {self.layers} BatchNorm "
                f"layer{'s' if self.layers != 1 else ''} ({self.calls} call{'s' if self.calls != 1 else ''}).")

    def dumps(self) -> str:
        return json.dumps(self.to_dict())

    def __repr__(self) -> str:
        """What a notebook or a REPL shows: the summary, then one line per finding."""
        lines = [f"<TraceReport: {self.summary().removeprefix('bn-lint trace: ').rstrip('.')}>"]
        for f in self.findings:
            lines.append(f"  {f.code} {f.path}:{f.line}: {f.message}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .html import report_tables

        return report_tables(self)


def _line_of(path: str, line: int) -> str | None:
    import linecache

    text = linecache.getline(path if os.path.isabs(path) else os.path.abspath(path), line)
    return text or None


def drop_suppressed(records: list[Record]) -> list[Record]:
    """Without the records that a ``# noqa`` on their line (or a file-wide one) switches off; a grouped
    record also loses the layers whose construction line says noqa (and goes when none is left)."""
    scanned: dict = {}
    kept = []
    for record in records:
        if _suppressed_at(scanned, record.code, record.site.path, record.site.line):
            continue
        if record.grouped and record.layer_sites:  # a layer whose construction line says noqa leaves the group
            keep = [not _suppressed_at(scanned, record.code, path, line) for path, line in record.layer_sites]
            if not any(keep):
                continue
            if len(record.layers) == len(keep):
                record.layers = [name for name, k in zip(record.layers, keep) if k]
            record.layer_sites = [site for site, k in zip(record.layer_sites, keep) if k]
        kept.append(record)
    return kept


def _suppressed_at(scanned: dict, code: str, path: str, line: int) -> bool:
    from ..suppression import Suppressions

    if path not in scanned:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            scanned[path] = Suppressions.scan(text.splitlines(), text)
        except (OSError, UnicodeDecodeError):
            scanned[path] = None
    found = scanned[path]
    return found is not None and found.suppressed(code, line)
