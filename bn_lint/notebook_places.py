"""Where a notebook cell's lines are written in the ``.ipynb`` file: the JSON text's line and column.

Machine formats (JSON, GitHub annotations, SARIF) address the file they name, so a finding in cell 7,
line 3 is reported at the line of the ``.ipynb`` text that holds that source string (``cell`` and the
in-cell position are kept beside it). Each source string is looked for in order, after the previous
one, as ``json.dumps`` writes it (ASCII-escaped or not); a cell whose source is one string has all its
lines on the line where that string starts.
"""
from __future__ import annotations

import json


def source_places(text: str, cells: list) -> dict[tuple[int, int], tuple[int, int]]:
    """(cell index from 1, line in cell from 1) -> (line of ``text``, column where the line's text starts)."""
    places: dict[tuple[int, int], tuple[int, int]] = {}
    position = 0
    for index, cell in enumerate(cells, 1):
        source = cell.get("source", []) if isinstance(cell, dict) else []
        parts = [source] if isinstance(source, str) else [s for s in source if isinstance(s, str)]
        line_in_cell = 1
        for part in parts:
            found = _find(text, part, position)
            if found is None:
                break
            start, end = found
            line = text.count("\n", 0, start) + 1
            column = start - (text.rfind("\n", 0, start) + 1) + 2  # (1-based, after the opening quote)
            for _ in range(max(1, part.count("\n") + (0 if part.endswith("\n") else 1))):
                places[(index, line_in_cell)] = (line, column)
                line_in_cell += 1
            position = end
    return places


def _find(text: str, part: str, position: int) -> tuple[int, int] | None:
    """The first place at or after ``position`` where ``part`` is written as a JSON string."""
    best = None
    for written in {json.dumps(part), json.dumps(part, ensure_ascii=False)}:
        at = text.find(written, position)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, at + len(written))
    return best
