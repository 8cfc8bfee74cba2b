"""SARIF 2.1.0, as GitHub code scanning accepts it."""
from __future__ import annotations

import hashlib
import json
from typing import TextIO

from .. import __version__
from ..finding import Finding, Severity
from ..registry import all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/bn-lint/bn-lint"


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"


def render(findings: list[Finding], stream: TextIO, context) -> None:
    rules = list(all_rules())
    index = {rule.code: i for i, rule in enumerate(rules)}
    descriptors = [
        {
            "id": rule.code,
            "name": "".join(part.capitalize() for part in rule.name.split("-")),
            "shortDescription": {"text": rule.summary.strip()},
            "fullDescription": {"text": " ".join(rule.what.split())},
            "help": {"text": " ".join((rule.why + " " + rule.fix_docs).split()), "markdown": rule.docs_markdown()},
            "helpUri": f"{INFO_URI}/blob/main/rules/{rule.code}.md",
            "defaultConfiguration": {"level": _level(rule.severity)},
            "properties": {"tags": [rule.name], "fixable": rule.fixable},
        }
        for rule in rules
    ]
    seen: dict[str, int] = {}
    results = []
    for f in findings:
        line_text = (context.text_of(f) or "").strip()
        base = f"{f.code}:{f.path}:{line_text}"
        seen[base] = seen.get(base, 0) + 1
        fingerprint = hashlib.sha256(f"{base}:{seen[base]}".encode()).hexdigest()[:32]
        result = {
            "ruleId": f.code,
            "level": _level(f.severity),
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path.replace("\\", "/"), "uriBaseId": "%SRCROOT%"},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": max(f.end_column, f.column),
                        },
                    }
                }
            ],
            "partialFingerprints": {"bnLint/v1": fingerprint},
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.cell:  # a notebook: the region counts lines in this cell
            result["properties"] = {"cell": f.cell}
        results.append(result)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "bn-lint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFO_URI,
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    json.dump(document, stream, indent=2)
    stream.write("\n")
