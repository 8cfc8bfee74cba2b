"""SARIF 2.1.0, as GitHub code scanning accepts it.

Paths under the working directory are percent-encoded URIs relative to ``%SRCROOT%`` (given in
``originalUriBaseIds``); others are absolute ``file://`` URIs. Each result carries its fixes
(``fixes``) and the places that cause it in other files (``relatedLocations``); ``invocations``
says whether the run succeeded and lists its tool errors.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from .. import __version__
from ..finding import Finding, Severity
from ..registry import all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"


def artifact(path: str, root: str) -> dict:
    """The artifactLocation of ``path``: relative to ``%SRCROOT%`` (``root``) when under it, else absolute."""
    if path in ("-", ""):
        return {"uri": "stdin", "description": {"text": "standard input (no --stdin-filename given)"}}
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, root) if os.path.splitdrive(absolute)[0] == os.path.splitdrive(root)[0] else ".."
    if relative == ".." or relative.startswith(".." + os.sep):
        return {"uri": "file://" + quote(os.fsencode(Path(absolute).as_posix()))}  # (bytes: any file name)
    return {"uri": quote(os.fsencode(relative.replace(os.sep, "/"))), "uriBaseId": SRCROOT}


def _region(line: int, column: int, end_line: int, end_column: int) -> dict:
    if end_line == line:
        end_column = max(end_column, column)
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _fix(f: Finding, root: str) -> dict:
    return {
        "description": {"text": f.fix.description},
        "artifactChanges": [{
            "artifactLocation": artifact(f.path, root),
            "replacements": [
                {"deletedRegion": _region(e.line, e.column, e.end_line, e.end_column), "insertedContent": {"text": e.replacement}}
                for e in f.fix.edits
            ],
        }],
        "properties": {"applicability": f.fix.applicability},
    }


def _descriptor(rule) -> dict:
    return {
        "id": rule.code,
        "name": "".join(part.capitalize() for part in rule.name.split("-")),
        "shortDescription": {"text": rule.summary.strip()},
        "fullDescription": {"text": " ".join(rule.what.split())},
        "help": {"text": " ".join((rule.why + " " + rule.fix_docs).split()), "markdown": rule.docs_markdown()},
        "defaultConfiguration": {"level": _level(rule.severity)},
        "properties": {"tags": [rule.name], "fixable": rule.fixable,
                       **({"fixSafety": rule.fix_safety} if rule.fixable else {})},
    }


def render(findings: list[Finding], stream: TextIO, context) -> None:
    root = os.path.abspath(getattr(context, "root", None) or os.getcwd())
    rules = list(all_rules())
    index = {rule.code: i for i, rule in enumerate(rules)}
    seen: dict[str, int] = {}
    results = []
    for f in findings:
        line_text = (context.text_of(f) or "").strip()
        base = f"{f.code}:{f.path}:{line_text}"
        seen[base] = seen.get(base, 0) + 1
        fingerprint = hashlib.sha256(f"{base}:{seen[base]}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
        result = {
            "ruleId": f.code,
            "level": _level(f.severity),
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": artifact(f.path, root),
                "region": _region(*context.file_position(f)),  # (a notebook's: in the .ipynb text)
            }}],
            "partialFingerprints": {"bnLint/v1": fingerprint},
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.related:
            result["relatedLocations"] = [
                {"id": number, "message": {"text": r.message}, "physicalLocation": {
                    "artifactLocation": artifact(r.path, root),
                    "region": _region(r.line, r.column, r.end_line, r.end_column),
                }}
                for number, r in enumerate(f.related, 1)
            ]
        if f.fix is not None and f.fix.edits and not f.cell:  # (a cell's edits do not count in the .ipynb file)
            result["fixes"] = [_fix(f, root)]
        if f.cell:  # a notebook: the region is in the .ipynb text; the place in the cell beside it
            result["properties"] = {"cell": f.cell, "cellLine": f.line, "cellColumn": f.column}
        results.append(result)
    errors = list(getattr(context, "errors", ()) or ())
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "bn-lint", "version": __version__, "semanticVersion": __version__,
                                "rules": [_descriptor(rule) for rule in rules]}},
            "invocations": [{
                "executionSuccessful": not errors,
                "toolExecutionNotifications": [{"level": "error", "message": {"text": e}} for e in errors],
            }],
            "originalUriBaseIds": {SRCROOT: {"uri": "file://" + quote(os.fsencode(Path(root).as_posix())).rstrip("/") + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    json.dump(document, stream, indent=2)
    stream.write("\n")
