"""Adopting bn-lint on code that has findings: a baseline of known findings, and ``--add-noqa``.

A baseline entry is the rule, the file (relative to the project root) and a
fingerprint of the finding's source line (whitespace collapsed) with its
occurrence number, so it survives lines inserted above it; a finding whose
line is edited is new. ``--add-noqa`` appends ``# noqa: CODE`` to each
finding's line (merged into a ``# noqa:`` already there) and never writes a
file whose result would not parse.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tokenize
from collections import Counter
from dataclasses import dataclass
from io import StringIO
from typing import Callable, Iterable

from .finding import Finding

VERSION = 1
_NOQA_CODES = re.compile(r"(#\s*noqa:\s*)([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)", re.IGNORECASE)

TextOf = Callable[[Finding], "str | None"]


class BaselineError(Exception):
    """The baseline file cannot be read; the message says why."""


def _relative(path: str, root: str) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(path), root)
    except ValueError:  # pragma: no cover - another drive
        return path.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def _keys(findings: Iterable[Finding], text_of: TextOf, root: str) -> list[tuple[Finding, tuple[str, str, str]]]:
    """Each finding with its (code, path, fingerprint); repeats of one line text are numbered."""
    seen: Counter = Counter()
    keyed = []
    for finding in sorted(findings, key=lambda f: f.sort_key):
        path = _relative(finding.path, root)
        text = " ".join((text_of(finding) or "").split())
        seen[(finding.code, path, text)] += 1
        digest = hashlib.sha256(f"{finding.code}\0{text}\0{seen[(finding.code, path, text)]}".encode()).hexdigest()
        keyed.append((finding, (finding.code, path, digest[:20])))
    return keyed


@dataclass
class Baseline:
    entries: Counter  # (code, path, fingerprint) -> how many

    @classmethod
    def record(cls, findings: Iterable[Finding], text_of: TextOf, root: str) -> "Baseline":
        return cls(Counter(key for _, key in _keys(findings, text_of, root)))

    @classmethod
    def load(cls, path: str) -> "Baseline":
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            entries = Counter()
            for entry in data["findings"]:
                entries[(entry["code"], entry["path"], entry["fingerprint"])] += int(entry.get("count", 1))
        except OSError as error:
            raise BaselineError(f"{path}: cannot read the baseline: {error.strerror or error}") from None
        except (ValueError, KeyError, TypeError) as error:
            raise BaselineError(f"{path}: not a bn-lint baseline ({type(error).__name__}: {error})") from None
        return cls(entries)

    def dumps(self) -> str:
        rows = [{"code": c, "path": p, "fingerprint": f, "count": n} for (c, p, f), n in sorted(self.entries.items())]
        return json.dumps({"version": VERSION, "findings": rows}, indent=1) + "\n"

    def new_findings(self, findings: Iterable[Finding], text_of: TextOf, root: str) -> tuple[list[Finding], int]:
        """The findings not in the baseline, and how many were."""
        left = Counter(self.entries)
        new, known = [], 0
        for finding, key in _keys(findings, text_of, root):
            if left[key] > 0:
                left[key] -= 1
                known += 1
            else:
                new.append(finding)
        return sorted(new, key=lambda f: f.sort_key), known


# ------------------------------------------------------------------ add-noqa
def with_noqa(text: str, lines: dict[int, set[str]]) -> str:
    """``text`` with ``# noqa: CODES`` on each 1-based line of ``lines`` (merged with codes already there).

    A line that ends inside a string (a multi-line literal) cannot take a comment and is left alone.
    """
    parts = text.splitlines(keepends=True)
    open_lines = _lines_ending_in_strings(text)
    for number, codes in lines.items():
        if not 1 <= number <= len(parts) or number in open_lines:
            continue
        line = parts[number - 1]
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        existing = _NOQA_CODES.search(body)
        if existing:
            have = {c.strip().upper() for c in existing.group(2).split(",")}
            merged = ", ".join(sorted(have | codes))
            body = body[: existing.start(2)] + merged + body[existing.end(2):]
        else:
            body = body.rstrip() + "  # noqa: " + ", ".join(sorted(codes))
        parts[number - 1] = body + ending
    return "".join(parts)


def _lines_ending_in_strings(text: str) -> set[int]:
    """Lines whose end falls inside a string token (a triple-quoted literal spanning lines)."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(StringIO(text).readline):
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0], token.end[0]))
            elif token.type == getattr(tokenize, "FSTRING_MIDDLE", -1) and token.end[0] > token.start[0]:
                inside.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return inside


def noqa_lines(findings: Iterable[Finding]) -> dict[int, set[str]]:
    """The codes to add per line of one file."""
    lines: dict[int, set[str]] = {}
    for finding in findings:
        lines.setdefault(finding.line, set()).add(finding.code)
    return lines


@dataclass
class NoqaRun:
    added: int = 0
    files: int = 0
    errors: list[str] | None = None


def add_noqa(results, findings: list[Finding]) -> NoqaRun:
    """Write ``# noqa: CODE`` for ``findings`` into their files (notebooks: into their cells)."""
    from .fixer import parses, write_atomically, write_bytes_atomically
    from .source import UnreadableSource, read_source

    notebooks = {r.path: r.notebook for r in results if getattr(r, "notebook", None) is not None}
    run = NoqaRun(errors=[])
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.code not in ("BN900", "BN901"):
            by_path.setdefault(finding.path, []).append(finding)
    for path, found in sorted(by_path.items()):
        notebook = notebooks.get(path)
        try:
            if notebook is not None:
                lines = noqa_lines(_program_line(notebook, f) for f in found)
                program = with_noqa(notebook.program, lines)
                data = notebook.with_program(program) if parses(program) else None
                if data is None:
                    raise ValueError("the cells could not take the comments")
                if data != notebook.raw:
                    write_bytes_atomically(path, data, expected=notebook.raw)
                    run.added += len(found)
                    run.files += 1
                continue
            source = read_source(path)
            text = with_noqa(source.text, noqa_lines(found))
            if text == source.text:
                continue
            if not parses(text):
                raise ValueError("the file would not parse")
            write_atomically(path, text, source.encoding)
            run.added += len(found)
            run.files += 1
        except (OSError, UnreadableSource, ValueError, UnicodeEncodeError) as error:
            run.errors.append(f"{path}: no noqa added: {error}")
    return run


def _program_line(notebook, finding: Finding) -> Finding:
    """``finding`` at its line in the notebook's program."""
    from dataclasses import replace

    cell = next(c for c in notebook.cells if c.index == finding.cell)
    return replace(finding, line=cell.first_line + finding.line - 1, cell=None)
