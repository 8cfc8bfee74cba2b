"""One ``bn-lint check`` run over many paths: which files, with which settings, and their results.

Each file is checked with its own settings (``resolve``); files that share settings are checked
together. The importers of the checked files are checked too (``importers``), and what they find
in the checked files is reported with them: a staged helper whose caller is not staged is still
judged by that caller.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable

from .config import Settings
from .discovery import discover
from .resolve import Resolver

if TYPE_CHECKING:  # pragma: no cover
    from .cache import Cache
    from .engine import FileResult
    from .finding import Finding


@dataclass
class Files:
    """The files to check, and the paths given that do not exist."""

    files: list[str]
    missing: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def find_files(paths: list[str], resolver: Resolver) -> Files:
    """The files under ``paths``, each path walked with its own settings (excludes, root)."""
    found: dict[str, None] = {}
    missing: list[str] = []
    unreadable: list[str] = []
    for raw in paths:
        discovered = discover([raw], resolver.for_path(raw))
        missing.extend(discovered.missing)
        unreadable.extend(discovered.unreadable)
        for path in discovered.files:
            found.setdefault(path, None)
    return Files(sorted(found), missing, unreadable)


def groups(files: list[str], resolver: Resolver) -> dict[Settings, list[str]]:
    """The files by their settings, in order."""
    out: dict[Settings, list[str]] = {}
    for path in files:
        out.setdefault(resolver.for_path(path), []).append(path)
    return out


def check(
    files: list[str], resolver: Resolver, jobs: int | None, cache_for: Callable[[Settings], "Cache | None"],
    advance: Callable[[int], None] = lambda n: None, narrow: Callable[[Settings], Settings | None] = lambda s: s,
) -> list["FileResult"]:
    """One result per file checked, in order; each group of files checked with its settings as
    ``narrow`` maps them (a group mapped to None is not checked)."""
    from .runner import check_files

    by_path: dict[str, FileResult] = {}
    for settings, group in groups(files, resolver).items():
        narrowed = narrow(settings)
        if narrowed is None:
            continue
        for path, result in zip(group, check_files(group, narrowed, jobs, cache_for(narrowed), advance)):
            by_path[path] = result
    return [by_path[path] for path in files if path in by_path]


def cross_file_only(settings: Settings) -> Settings | None:
    """``settings`` with only the selected rules that can report in another project file (None if none)."""
    from .registry import all_rules

    codes = tuple(rule.code for rule in all_rules() if rule.reports_in_other_files and settings.is_selected(rule.code))
    return replace(settings, select=codes, extend_select=(), ignore=()) if codes else None


def start_importer_search(files: list[str], resolver: Resolver) -> Callable[..., dict[str, list[str]]]:
    """The search for ``files``' importers, begun (its ``git grep`` runs while the files are checked)."""
    from .importers import start_finding_importers

    return start_finding_importers(files, resolver)


def start_from_importers(
    files: list[str], resolver: Resolver, jobs: int | None, cache_for: Callable[[Settings], "Cache | None"],
    search: Callable[..., dict[str, list[str]]], beside: bool,
) -> Callable[[], list["Finding"]]:
    """``from_importers``, begun: with ``beside`` and another core free, in a forked child while ``files`` are
    checked here (``beside.start``); otherwise when the result is called."""
    from .runner import default_jobs

    if beside and (default_jobs() if jobs is None else jobs) > 1:
        from .beside import start

        return start(from_importers, files, resolver, jobs, cache_for, search)
    return lambda: from_importers(files, resolver, jobs, cache_for, search)


def from_importers(
    files: list[str], resolver: Resolver, jobs: int | None, cache_for: Callable[[Settings], "Cache | None"],
    search: Callable[..., dict[str, list[str]]] | None = None,
) -> list["Finding"]:
    """The findings in ``files`` that come from checking their importers (the project files, not among
    ``files``, that import them), with the paths written as in ``files``; ``search``: the search for
    the importers begun earlier (``start_importer_search``)."""
    checked = {os.path.realpath(path): path for path in files}
    importers: set[str] = set()
    search = search or start_importer_search(files, resolver)
    def cache_folder(settings: Settings) -> str | None:
        cache = cache_for(settings)
        return str(cache.directory) if cache is not None and cache.directory.is_dir() else None

    for of_one in search(frozenset(checked), cache_folder).values():
        importers.update(of_one)
    if not importers:
        return []
    found = []
    # only rules that can report in another file: what the importers find in themselves is not kept
    for result in check(sorted(importers), resolver, jobs, cache_for, narrow=cross_file_only):
        for finding in result.findings:
            shown = checked.get(os.path.realpath(finding.path))
            if shown is not None:
                found.append(replace(finding, path=shown))
    return found


_UNOWNED_USE = re.compile(r"^`[^`]*(?:\(\.\.\.\)` at line (\d+)|`) may be in training mode")


def one_per_defect(findings: list["Finding"]) -> list["Finding"]:
    """One finding per defect: a helper's evaluation reported by its own file's check as owned by nobody
    ("`model(...)` at line 18 may be in training mode ... has no caller here") is left out where a caller's
    check reports that use itself, naming the caller (N4)."""
    findings = _one_per_place(findings)
    unowned = {id(f): _UNOWNED_USE.match(f.message) for f in findings if f.code == "BN101"}
    at = {(f.path, f.cell, f.line) for f in findings if f.code == "BN101" and unowned[id(f)] is None}
    out = []
    for finding in findings:
        match = unowned.get(id(finding))
        if match is not None and match.group(1) is not None and (finding.path, finding.cell, int(match.group(1))) in at:
            continue
        if match is not None and match.group(1) is None and (finding.path, finding.cell, finding.line) in at:
            continue  # (reported at the use itself: the caller's finding there is the one)
        out.append(finding)
    return out


def _one_per_place(findings: list["Finding"]) -> list["Finding"]:
    """One finding per code at one place: a helper's line that several callers' checks report (each copy of a
    script passing its model to ``evaluate()``) is the first one, saying how many more paths lead there."""
    first: dict[tuple, "Finding"] = {}
    more: dict[tuple, int] = {}
    for finding in findings:
        place = (finding.path, finding.cell, finding.line, finding.column, finding.code)
        if place in first:
            more[place] = more.get(place, 0) + 1
        else:
            first[place] = finding
    return [replace(f, message=f"{f.message} (and {more[p]} more path{'s' if more[p] > 1 else ''} to this line)")
            if p in more else f for p, f in first.items()]
