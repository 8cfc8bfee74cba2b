"""Applying the fixes that findings carry: ``bn-lint check --fix / --diff``.

Fixes are text edits (1-based line/column in code points, end exclusive).
A fix is applied whole or not at all; fixes never overlap; the result must
parse before it is written; files are written atomically with their
encoding, BOM, newlines and permissions kept. Fixing re-checks the file
until no fix applies (a few rounds at most), so a second run changes nothing.
"""
from __future__ import annotations

import difflib
import os
import re
import stat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from . import atomic
from .finding import Finding, Fix
from .notebook import NOTEBOOK_SUFFIX
from .source import SourceText, UnreadableSource, decode, line_offsets, read_bytes

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Checker, FileResult

MAX_ROUNDS = 4
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_TRAILING_BREAK = re.compile(r"(\r\n|\r|\n)\Z")


# ---------------------------------------------------------------- text edits
@dataclass
class Applied:
    """The outcome of applying a set of fixes to one text."""

    text: str
    applied: list[Finding] = field(default_factory=list)
    rejected: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, why not applied)


def _spans(fix: Fix, offsets: list[int], text: str) -> list[tuple[int, int, str]] | None:
    """(start, end, replacement) offsets of each edit, or None when an edit does not fit the text."""
    spans = []
    for edit in fix.edits:
        start = _offset(edit.line, edit.column, offsets, text)
        end = _offset(edit.end_line, edit.end_column, offsets, text)
        if start is None or end is None or end < start:
            return None
        spans.append((start, end, edit.replacement))
    spans.sort()
    for (s1, e1, _), (s2, e2, _) in zip(spans, spans[1:]):
        if _overlap(s1, e1, s2, e2):
            return None
    return spans


def _offset(line: int, column: int, offsets: list[int], text: str) -> int | None:
    """The offset of a 1-based (line, column); None when it lies outside the line (its line break excluded)."""
    if not 1 <= line <= len(offsets) or column < 1:
        return None
    start = offsets[line - 1]
    stop = offsets[line] if line < len(offsets) else len(text)
    width = len(_TRAILING_BREAK.sub("", text[start:stop]))
    if column - 1 > width:
        return None
    return start + column - 1


def _overlap(s1: int, e1: int, s2: int, e2: int) -> bool:
    """Two edits conflict when their spans intersect or both start at the same place."""
    return s1 == s2 or (s1 < e2 and s2 < e1)


def _newline(text: str) -> str:
    match = _LINE_BREAK.search(text)
    return match.group() if match else "\n"


def apply_fixes(text: str, findings: Iterable[Finding]) -> Applied:
    """Apply the fixes of ``findings`` to ``text``: each whole or not at all, never two that overlap.

    Fixes are taken in source order; one that overlaps an earlier accepted fix
    is rejected. Identical fixes (the same edits) are applied once. If the
    result does not parse, fixes are re-applied one by one, keeping only those
    after which the code still parses.
    """
    offsets = line_offsets(text)
    newline = _newline(text)
    candidates: list[tuple[Finding, list[tuple[int, int, str]]]] = []
    outcome = Applied(text)
    for finding in findings:
        if finding.fix is None or not finding.fix.edits:
            continue
        spans = _spans(finding.fix, offsets, text)
        if spans is None:
            outcome.rejected.append((finding, "its edits do not fit the file"))
            continue
        spans = [(s, e, _LINE_BREAK.sub(newline, r)) for s, e, r in spans]
        candidates.append((finding, spans))
    candidates.sort(key=lambda item: (item[1][0][0], item[0].sort_key))

    groups: list[tuple[list[Finding], list[tuple[int, int, str]]]] = []  # identical fixes share a group
    for finding, spans in candidates:
        same = next((group for group, other in groups if other == spans), None)
        if same is not None:  # the same change, reported twice
            same.append(finding)
            continue
        clash = next(
            (group[0] for group, other in groups
             if any(_overlap(s, e, s2, e2) for s, e, _ in spans for s2, e2, _ in other)),
            None,
        )
        if clash is not None:
            outcome.rejected.append((finding, f"overlaps the fix for {clash.code} at line {clash.line}"))
            continue
        groups.append(([finding], spans))
    if not groups:
        return outcome

    new_text = _splice(text, [span for _, spans in groups for span in spans])
    if parses(new_text):
        outcome.text = new_text
        outcome.applied = [f for group, _ in groups for f in group]
        return outcome
    # Find the culprits: keep each fix only if the code still parses with it.
    kept: list[tuple[int, int, str]] = []
    for group, spans in groups:
        if parses(_splice(text, kept + spans)):
            kept += spans
            outcome.applied.extend(group)
        else:
            outcome.rejected.extend((f, "the fixed code would not parse") for f in group)
    outcome.text = _splice(text, kept)
    return outcome


def _splice(text: str, spans: list[tuple[int, int, str]]) -> str:
    parts = []
    position = 0
    for start, end, replacement in sorted(spans, key=lambda s: (s[0], s[1])):
        parts.append(text[position:start])
        parts.append(replacement)
        position = end
    parts.append(text[position:])
    return "".join(parts)


def parses(text: str) -> bool:
    """Whether libcst (the parser bn-lint checks with) accepts ``text``."""
    import libcst as cst

    from . import deep

    try:
        deep.call(cst.parse_module, text)  # (as deep as the checker parses)
    except (cst.ParserSyntaxError, RecursionError):
        return False
    return True


# --------------------------------------------------------------------- files
@dataclass
class FileFix:
    """What fixing one file did."""

    path: str
    source: SourceText  # as read
    text: str  # after fixing
    applied: list[Finding] = field(default_factory=list)
    not_applied: list[tuple[Finding, str]] = field(default_factory=list)
    result: "FileResult | None" = None  # the check of the fixed text
    written: bool = False
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.text != self.source.text

    def diff(self) -> str:
        """A unified diff from the file as read to the fixed text."""
        before = _keepends(self.source.text)
        after = _keepends(self.text)
        lines = []
        for line in difflib.unified_diff(before, after, self.path, self.path):
            if not line.endswith(("\n", "\r")):
                line += "\n\\ No newline at end of file\n"
            lines.append(line)
        return "".join(lines)


def _keepends(text: str) -> list[str]:
    lines = []
    position = 0
    for match in _LINE_BREAK.finditer(text):
        lines.append(text[position : match.end()])
        position = match.end()
    if position < len(text):
        lines.append(text[position:])
    return lines


def fix_source(checker: "Checker", path: str, source: SourceText, first: "FileResult | None" = None) -> FileFix:
    """Fix ``source`` in memory: apply fixes and re-check until none applies (``MAX_ROUNDS`` at most)."""
    result = first if first is not None and first.source == source else checker.check_source(path, source)
    outcome = FileFix(path, source, source.text, result=result)
    text = source.text
    for _ in range(MAX_ROUNDS):
        fixable = [f for f in result.findings if checker.settings.can_fix(f)]
        if not fixable:
            outcome.not_applied = []
            break
        applied = apply_fixes(text, fixable)
        outcome.not_applied = applied.rejected
        if applied.text == text:
            break
        outcome.applied.extend(applied.applied)
        text = applied.text
        result = checker.check_source(path, SourceText(text, source.encoding))
    else:
        left = [f for f in result.findings if checker.settings.can_fix(f)]
        outcome.not_applied = [(f, f"still fixable after {MAX_ROUNDS} rounds") for f in left]
    still = {(f.code, f.line, f.column, f.message) for f in result.findings}
    outcome.not_applied = [(f, why) for f, why in outcome.not_applied if (f.code, f.line, f.column, f.message) in still]
    outcome.text = text
    outcome.result = result
    return outcome


def write_atomically(path: str, text: str, encoding: str, expected: bytes | None = None) -> None:
    """Replace ``path`` with ``text`` encoded as ``encoding`` (a BOM for utf-8-sig) via a temp file and rename.

    The file's permission bits (and owner, where allowed) are kept; a read-only
    file is refused; a symbolic link is followed, not replaced; a file with several hard links is
    rewritten in place after a backup (``atomic.rewrite_in_place``), so the links stay one file. With ``expected``, refuse (OSError) if the file no longer holds those bytes.
    """
    write_bytes_atomically(path, text.encode(encoding), expected)  # "utf-8-sig" writes the BOM


def write_bytes_atomically(path: str, data: bytes, expected: bytes | None = None) -> None:
    """``write_atomically`` for bytes."""
    target = os.path.realpath(path)
    info = os.stat(target)
    if not os.access(target, os.W_OK):
        raise PermissionError(f"{path} is not writable")
    if expected is not None:
        with open(target, "rb") as handle:
            if handle.read() != expected:
                raise OSError(f"{path} changed while it was being fixed; not written")

    def keep_mode_and_owner(temp: str) -> None:
        os.chmod(temp, stat.S_IMODE(info.st_mode))
        if hasattr(os, "chown") and (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
            try:
                os.chown(temp, info.st_uid, info.st_gid)
            except OSError:
                pass  # not permitted: the file becomes ours, as with any editor

    if info.st_nlink > 1 and expected is not None:
        atomic.rewrite_in_place(target, data, expected)  # (a rename would break the hard links)
        return
    atomic.replace(target, data, durable=True, prepare=keep_mode_and_owner)


def fix_file(checker: "Checker", path: str, write: bool = True, first: "FileResult | None" = None) -> FileFix:
    """Fix the file at ``path``; with ``write``, save it when something changed."""
    try:
        data = read_bytes(path)
        source = decode(data)
    except (OSError, UnreadableSource) as error:
        result = checker.check_path(path)
        return FileFix(path, result.source or SourceText("", "utf-8"), (result.source or SourceText("", "utf-8")).text,
                       result=result, error=f"{path}: not fixed: {error}")
    outcome = fix_source(checker, path, source, first)
    if write and outcome.changed:
        try:
            write_atomically(path, outcome.text, source.encoding, expected=data)
            outcome.written = True
        except (OSError, UnicodeEncodeError) as error:
            outcome.error = f"{path}: fixes not written: {error}"
            outcome.result = first if first is not None else checker.check_source(path, source)
    return outcome


def fix_notebook(checker: "Checker", path: str, write: bool) -> FileFix:
    """Fix a notebook's program, then write its cells back into the notebook's JSON, as laid out before."""
    from .notebook import Notebook, NotNotebook

    try:
        with open(path, "rb") as handle:
            notebook = Notebook.parse(handle.read())
    except (OSError, NotNotebook) as error:
        result = checker.check_path(path)
        return FileFix(path, SourceText("", "utf-8"), "", result=result, error=f"{path}: not fixed: {error}")
    outcome = fix_source(checker, path, SourceText(notebook.program, "utf-8"))
    data = notebook.raw
    if outcome.changed:
        new = notebook.with_program(outcome.text)
        if new is None:
            outcome.error = f"{path}: fixes not written: the notebook's cells could not be rebuilt from the fixed code"
            outcome.text, outcome.applied = notebook.program, []
        else:
            data = new
            if write:
                try:
                    write_bytes_atomically(path, data, expected=notebook.raw)
                    outcome.written = True
                except OSError as error:
                    outcome.error, data = f"{path}: fixes not written: {error}", notebook.raw
    outcome.result = checker.check_notebook(path, data)
    return outcome


@dataclass
class FixRun:
    """Fixing every checked file: the per-file outcomes and the results to report."""

    files: list[FileFix]
    results: list["FileResult"]

    def diff(self) -> str:
        return "".join(f.diff() for f in self.files if f.changed)


def fix_results(checker: "Checker", results: list["FileResult"], write: bool, stdin_path: str | None = None) -> FixRun:
    """Fix the files behind ``results`` (those with a fixable finding); return what to report instead.

    ``write=False`` computes the fixes without writing (``--diff``). The result
    read from standard input (``stdin_path``) is fixed in memory only.
    """
    files: list[FileFix] = []
    new_results = []
    for result in results:
        if not any(checker.settings.can_fix(f) for f in result.findings) or result.source is None:
            new_results.append(result)
            continue
        if result.path.endswith(NOTEBOOK_SUFFIX) and result.path != stdin_path:
            outcome = fix_notebook(checker, result.path, write)
        elif result.path == stdin_path:
            outcome = fix_source(checker, result.path, result.source, result)
        else:
            outcome = fix_file(checker, result.path, write=write, first=result)
        if outcome.error and outcome.result is not None:
            outcome.result.errors.append(outcome.error)
        files.append(outcome)
        new_results.append(outcome.result if write and outcome.result is not None else result)
    return FixRun(files, new_results)
