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
    "BN201": ("num-features-mismatch", Severity.ERROR),
    "BN202": ("wrong-variant", Severity.ERROR),
    "BN301": ("tiny-batch", Severity.WARNING),
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

    @property
    def key(self) -> tuple:
        return (self.code, self.layer, self.site.path, self.site.line)

    def finding(self) -> Finding:
        name = RULES[self.code][0]
        notes = []
        if self.count:
            notes.append(f"{self.count} call{'s' if self.count != 1 else ''}")
        if self.first_call:
            notes.append(f"first at {self.first_call}")
        if self.ranks:
            notes.append(f"rank{'s' if len(self.ranks) > 1 else ''} {', '.join(map(str, self.ranks))}")
        built = "" if self.site.exact else " (created before tracing started: construction line unknown)"
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
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Record":
        data = dict(data)
        data["site"] = Site(**data["site"])
        data["ranks"] = tuple(data.get("ranks", ()))
        return cls(**data)


@dataclass
class TraceReport:
    """The records of one run (or of several ranks, merged). ``findings`` is what reporters print."""

    records: list[Record] = field(default_factory=list)
    layers: int = 0  # BatchNorm layers seen
    calls: int = 0  # BatchNorm calls seen
    warnings: list[str] = field(default_factory=list)

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
        return TraceReport([r for r in self.records if is_selected(r.code)], self.layers, self.calls, list(self.warnings))

    def to_dict(self) -> dict:
        return {"records": [r.to_dict() for r in self.records], "layers": self.layers, "calls": self.calls,
                "warnings": list(self.warnings)}

    @classmethod
    def from_dict(cls, data: dict) -> "TraceReport":
        return cls([Record.from_dict(r) for r in data["records"]], data["layers"], data["calls"], list(data["warnings"]))

    @classmethod
    def merge(cls, reports: list["TraceReport"]) -> "TraceReport":
        """One report from several (one per rank): same finding of the same layer counted once, counts summed."""
        merged: dict[tuple, Record] = {}
        out = cls()
        for report in reports:
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


def _line_of(path: str, line: int) -> str | None:
    import linecache

    text = linecache.getline(path if os.path.isabs(path) else os.path.abspath(path), line)
    return text or None


def drop_suppressed(records: list[Record]) -> list[Record]:
    """Without the records that a ``# noqa`` on the construction line (or a file-wide one) switches off."""
    from ..suppression import Suppressions

    scanned: dict[str, Suppressions | None] = {}
    kept = []
    for record in records:
        path = record.site.path
        if path not in scanned:
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
                scanned[path] = Suppressions.scan(text.splitlines(), text)
            except (OSError, UnicodeDecodeError):
                scanned[path] = None
        found = scanned[path]
        if found is None or not found.suppressed(record.code, record.site.line):
            kept.append(record)
    return kept
