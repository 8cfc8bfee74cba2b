"""What a rule reports about a file model: a node, a message, optionally a fix (node edits)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from bn_lint.semantic.file.model import FileModel


@dataclass
class Report:
    """What a rule reports: a node, a message, and optionally a fix (node edits)."""

    node: cst.CSTNode
    message: str
    fix: "NodeFix | None" = None
    severity: Any = None  # a Severity that overrides the rule's default
    code: str | None = None  # set by the engine
    model: "FileModel | None" = None  # the other project file that holds ``node``, if not the checked one
    related: tuple = ()  # nodes of the checked file that cause a finding in ``model`` (the calls that pass the model)


@dataclass
class NodeFix:
    description: str
    replacements: list[tuple[cst.CSTNode, cst.CSTNode | str]]
