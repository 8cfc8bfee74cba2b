"""A JSON array of finding objects.

File names are text: ``path`` (and each ``related[].path``) is the name as the file system gives it. A name
that is not valid UTF-8 cannot be JSON text as it is: its ``path`` shows the undecodable bytes escaped
(``caf\\xe9.py``, for people), and ``path_bytes`` gives the name exactly: its bytes percent-encoded
(RFC 3986, as SARIF's URIs: ``caf%E9.py``; ``urllib.parse.unquote_to_bytes`` gives them back, ``os.fsdecode``
then the name Python opens). ``path_bytes`` is there only for such a name: where it is absent, ``path`` is
the name (a name with a real backslash, ``caf\\xe9.py``, has no ``path_bytes``).
"""
from __future__ import annotations

import json
import os
from typing import TextIO
from urllib.parse import quote

from ..finding import Finding


def render(findings: list[Finding], stream: TextIO, context) -> None:
    json.dump([_entry(f) for f in findings], stream, indent=2)
    stream.write("\n")


def _entry(finding: Finding) -> dict:
    entry = finding.to_dict()
    _name(entry)
    for related in entry.get("related") or ():
        _name(related)
    return entry


def _name(entry: dict) -> None:
    """``entry["path"]`` as JSON text can hold it, with ``path_bytes`` when it is not the exact name."""
    path = entry["path"]
    data = os.fsencode(path)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:  # (lone surrogates standing for the bytes that are not UTF-8: PEP 383)
        entry["path"] = data.decode("utf-8", "backslashreplace")
        entry["path_bytes"] = quote(data, safe="/")
