"""Notebooks in the language server: a notebook document's cells as the ``.ipynb`` text the checker reads,
and a finding's (cell, line, column) as a place in the ``.ipynb`` file's JSON text, for an editor that
opens the file as text."""
from __future__ import annotations

import json
import re
from typing import Iterable


def notebook_text(cells: Iterable[tuple[bool, str]]) -> str:
    """An nbformat 4 notebook of ``cells`` ((is code, source) in order): what a notebook document holds."""
    data = {
        "cells": [{"cell_type": "code" if code else "markdown", "metadata": {}, "source": source,
                   **({"execution_count": None, "outputs": []} if code else {})} for code, source in cells],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(data, indent=1, ensure_ascii=False)


class JsonPlaces:
    """Where each line of each cell's source is in a notebook's JSON text (0-based line and character of
    the first character of that line's text), found by reading the JSON strings in order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = _line_starts(text)
        self._cells: dict[int, list[tuple[int, int]]] = {}
        try:
            data = json.loads(text)
            cells = data.get("cells") if isinstance(data, dict) else None
        except (ValueError, RecursionError):
            cells = None
        cursor = 0
        for index, cell in enumerate(cells if isinstance(cells, list) else [], 1):
            source = cell.get("source", "") if isinstance(cell, dict) else ""
            parts = source if isinstance(source, list) else [source]
            at = self._find(cursor, '"source"')
            if at < 0:
                break
            cursor = at
            places: list[tuple[int, int]] = []
            for part in parts if all(isinstance(p, str) for p in parts) else []:
                found, length = self._find_string(cursor, part)
                if found < 0:
                    break
                # a list item is one line; a string holds all lines on one JSON line (escaped newlines)
                lines = part.splitlines() or [""]
                offset = 0
                for line in lines:
                    places.append(self._place(found + 1 + offset))
                    offset += len(json.dumps(line + "\n", ensure_ascii=False)) - 2 if len(lines) > 1 else 0
                cursor = found + length
            self._cells[index] = places

    def place(self, cell: int, line: int, column: int) -> tuple[int, int]:
        """The 0-based (line, character) in the JSON text of 1-based ``line``, ``column`` of cell ``cell``."""
        places = self._cells.get(cell)
        if not places:
            return (0, 0)
        row, character = places[min(max(line, 1), len(places)) - 1]
        return row, character + max(column - 1, 0)

    def _find(self, start: int, needle: str) -> int:
        return self.text.find(needle, start)

    def _find_string(self, start: int, value: str) -> tuple[int, int]:
        for encoded in dict.fromkeys((json.dumps(value, ensure_ascii=False), json.dumps(value))):
            found = self.text.find(encoded, start)
            if found >= 0:
                return found, len(encoded)
        return -1, 0

    def _place(self, offset: int) -> tuple[int, int]:
        import bisect

        row = bisect.bisect_right(self._starts, offset) - 1
        return row, offset - self._starts[row]


def _line_starts(text: str) -> list[int]:
    return [0] + [found.end() for found in re.finditer("\n", text)]
