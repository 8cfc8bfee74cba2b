"""A JSON array of finding objects.

File names are text: ``path`` (and each ``related[].path``) is the name as the file system gives it. A name
that is not valid UTF-8 cannot be JSON text as it is: its ``path`` shows the undecodable bytes escaped
(``caf\\xe9.py``, for people), and ``path_bytes`` gives the name exactly: its bytes percent-encoded
(RFC 3986, as SARIF's URIs: ``caf%E9.py``; ``urllib.parse.unquote_to_bytes`` gives them back, ``os.fsdecode``
then the name Python opens). ``path_bytes`` is there only for such a name: where it is absent, ``path`` is
the name (a name with a real backslash, ``caf\\xe9.py``, has no ``path_bytes``).

A finding in a notebook cell (``cell``) is placed in the ``.ipynb`` file as its text holds that cell's source
(``line``, ``column``, ``end_line``, ``end_column``, as for any file), with its place in the cell beside it
(``cell_line``, ``cell_column``, ``cell_end_line``, ``cell_end_column``; cells counted from 1 over all cells).
A fix's edits of a cell's finding count in the cell.
"""
from __future__ import annotations

import json
import os
from typing import TextIO
from urllib.parse import quote

from ..finding import Finding


def render(findings: list[Finding], stream: TextIO, context) -> None:
    json.dump([_entry(f, context) for f in findings], stream, indent=2)
    stream.write("\n")


def _entry(finding: Finding, context) -> dict:
    entry = finding.to_dict()
    if finding.cell:  # (a notebook: the position in the .ipynb file, and the one in its cell beside it)
        place = dict(zip(("line", "column", "end_line", "end_column"), context.file_position(finding)))
        entry.update({f"cell_{key}": entry[key] for key in place}, **place)
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
