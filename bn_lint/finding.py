"""The one finding type shared by the static checker and the runtime tracer."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


@dataclass(frozen=True, order=True)
class Edit:
    """Replace the text between two 1-based (line, column) positions."""

    line: int
    column: int
    end_line: int
    end_column: int
    replacement: str


SAFE, UNSAFE = "safe", "unsafe"


@dataclass(frozen=True)
class Fix:
    """A machine-applicable change, described and expressed as text edits.

    ``applicability`` is ``"safe"`` (keeps what the program does: ``--fix`` applies it) or
    ``"unsafe"`` (changes behaviour, e.g. loading old checkpoints: only with ``--unsafe-fixes``).
    """

    description: str
    edits: tuple[Edit, ...]
    applicability: str = SAFE

    @property
    def safe(self) -> bool:
        return self.applicability == SAFE

    def to_dict(self) -> dict:
        return {"description": self.description, "applicability": self.applicability,
                "edits": [asdict(e) for e in self.edits]}

    @classmethod
    def from_dict(cls, data: dict) -> "Fix":
        return cls(data["description"], tuple(Edit(**e) for e in data["edits"]), data.get("applicability", SAFE))


@dataclass(frozen=True)
class Related:
    """Another place that the finding concerns: e.g. the call in the checked file that causes a finding in a helper."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    fix: Fix | None = field(default=None, compare=False)
    related: tuple[Related, ...] = field(default=(), compare=False)
    cell: int | None = None  # in a notebook: the 1-based cell that ``line`` counts in

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.line, self.column, self.code, self.message)

    @property
    def location(self) -> str:
        """``path:line:col``, or ``path:cell 7:line:col`` in a notebook."""
        cell = f"cell {self.cell}:" if self.cell else ""
        return f"{self.path}:{cell}{self.line}:{self.column}"

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "message": self.message,
            "fix": self.fix.to_dict() if self.fix else None,
            "related": [r.to_dict() for r in self.related],
            **({"cell": self.cell} if self.cell else {}),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        fix = data.get("fix")
        return cls(
            code=data["code"],
            name=data["name"],
            severity=Severity(data["severity"]),
            path=data["path"],
            line=data["line"],
            column=data["column"],
            end_line=data["end_line"],
            end_column=data["end_column"],
            message=data["message"],
            fix=Fix.from_dict(fix) if fix else None,
            related=tuple(Related(**r) for r in data.get("related") or ()),
            cell=data.get("cell"),
        )
