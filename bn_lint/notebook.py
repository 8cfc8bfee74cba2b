"""Jupyter notebooks: the code cells as one Python program, and the way back to cells.

The code cells are joined in order, each after a marker line, so a model's mode
flows from cell to cell. IPython-only lines (``%magic``, ``!shell``, ``?help``,
``x = !cmd``) become ``pass`` so the program parses; a cell magic other than
the timing ones (``%%bash``, ``%%writefile``...) hides its whole cell.
Findings are reported at (cell, line in cell), cells counted from 1 over every
cell of the notebook, as the notebook shows them. Fixes are applied to the
program, which is then split back at the markers and written in the JSON
layout the file already had, so nothing outside the fixed lines changes.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, replace

from .finding import Finding

NOTEBOOK_SUFFIX = ".ipynb"
MARKER = "# %% [bn-lint cell {}]"
_MARKER = re.compile(r"^# %% \[bn-lint cell (\d+)\]$")
_LINE_MAGIC = re.compile(r"^(\s*)(?:[%!?]|.*\?\s*$)")
_ASSIGNED_MAGIC = re.compile(r"^(\s*[\w.\[\], ]+=\s*)[!%].*$")
_LINE_WORD = re.compile(r"\b(at |on |from |in )?line (\d+)\b")
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})


class NotNotebook(Exception):
    """The file is not a notebook bn-lint can read (message says why)."""


@dataclass(frozen=True)
class Cell:
    index: int  # 1-based position among all cells
    first_line: int  # program line of the cell's first line (after its marker)
    raw: str  # the cell's source as stored
    code: str  # what the program holds for it
    as_list: bool  # the notebook stores the source as a list of lines


@dataclass
class Notebook:
    data: dict
    cells: list[Cell]
    program: str
    raw: bytes
    errors: list[tuple[int, int, int, str]]  # (cell, line, column, message) of cells that are not Python

    # ------------------------------------------------------------- reading
    @classmethod
    def parse(cls, raw: bytes) -> "Notebook":
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as error:
            raise NotNotebook(f"not a notebook: invalid JSON ({error})") from None
        if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
            raise NotNotebook("not a notebook: no list of cells")
        language = (data.get("metadata") or {}).get("language_info", {}) or {}
        if isinstance(language, dict) and language.get("name", "python") != "python":
            raise NotNotebook(f"not a Python notebook (language {language.get('name')!r})")
        cells, parts, errors, line = [], [], [], 1
        for index, cell in enumerate(data["cells"], 1):
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            as_list = isinstance(source, list)
            raw_text = "".join(source) if as_list else str(source)
            code = python_of(raw_text)
            if code and not code.endswith(("\n", "\r")):
                code += "\n"
            error = _syntax_error(code)
            if error is not None:  # checked apart: the other cells are still checked
                errors.append((index, *error))
                code = "".join("#" + _ending(text) for text in code.splitlines(keepends=True))
            parts.append(MARKER.format(index) + "\n" + code)
            cells.append(Cell(index, line + 1, raw_text, code, as_list))
            line += 1 + _line_count(code)
        return cls(data, cells, "".join(parts), raw, errors)

    # ----------------------------------------------------------- locations
    def locate(self, line: int) -> tuple[int, int] | None:
        """(cell index, line in cell) of a program line; None on a marker line."""
        for cell in reversed(self.cells):
            if line >= cell.first_line:
                return cell.index, line - cell.first_line + 1
            if line == cell.first_line - 1:
                return None
        return None

    def to_cells(self, finding: Finding) -> Finding:
        """``finding`` (program coordinates) at its cell and line in that cell."""
        where = self.locate(finding.line)
        if where is None:
            return finding
        cell, line = where
        shift = finding.line - line
        fix = None
        if finding.fix is not None:
            edits = tuple(replace(e, line=e.line - shift, end_line=e.end_line - shift) for e in finding.fix.edits)
            if all(e.line >= 1 for e in edits):
                fix = replace(finding.fix, edits=edits)
        message = _LINE_WORD.sub(self._cell_words, finding.message)
        return replace(finding, line=line, end_line=max(line, finding.end_line - shift), cell=cell, fix=fix,
                       message=message)

    def _cell_words(self, match: "re.Match[str]") -> str:
        where = self.locate(int(match.group(2)))
        return match.group(0) if where is None else f"{match.group(1) or ''}cell {where[0]}, line {where[1]}"

    def cell_lines(self, index: int) -> list[str]:
        """The lines of cell ``index`` as stored (magics included)."""
        cell = next((c for c in self.cells if c.index == index), None)
        return cell.raw.splitlines() if cell else []

    # ------------------------------------------------------------- writing
    def with_program(self, program: str) -> bytes | None:
        """The notebook's bytes with the cells of the fixed ``program``; None when it cannot be mapped back."""
        chunks: dict[int, list[str]] = {}
        current: list[str] | None = None
        for text in program.splitlines(keepends=True):
            match = _MARKER.match(text.rstrip("\r\n"))
            if match:
                current = chunks.setdefault(int(match.group(1)), [])
            elif current is None:
                return None
            else:
                current.append(text)
        if sorted(chunks) != [c.index for c in self.cells]:
            return None
        data = json.loads(json.dumps(self.data))
        for cell in self.cells:
            code = "".join(chunks[cell.index])
            if code == cell.code:
                continue
            raw = _restore(cell, code)
            if raw is None:
                return None
            entry = data["cells"][cell.index - 1]
            entry["source"] = raw.splitlines(keepends=True) if cell.as_list else raw
        return dump_like(data, self.raw)


def python_of(source: str) -> str:
    """A cell's source with IPython-only lines turned into ``pass`` (line for line)."""
    lines = source.splitlines(keepends=True)
    if not lines:
        return ""
    first = lines[0].strip()
    if first.startswith("%%"):
        name = first[2:].split(maxsplit=1)[0] if first[2:] else ""
        head = "pass" + _ending(lines[0])
        if name in _PYTHON_CELL_MAGICS:
            return head + "".join(_line_of(text) for text in lines[1:])
        return head + "".join("#" + _ending(text) for text in lines[1:])
    return "".join(_line_of(text) for text in lines)


def _line_of(text: str) -> str:
    body = text.rstrip("\r\n")
    assigned = _ASSIGNED_MAGIC.match(body)
    if assigned:
        return assigned.group(1) + "None" + _ending(text)
    magic = _LINE_MAGIC.match(body)
    if magic and not body.lstrip().startswith("#"):
        return magic.group(1) + "pass" + _ending(text)
    return text


def _restore(cell: Cell, code: str) -> str | None:
    """The raw cell source for a fixed program chunk: magic lines put back; None if the lines moved."""
    old_code = cell.code.splitlines(keepends=True)
    old_raw = cell.raw.splitlines(keepends=True)
    new = code.splitlines(keepends=True)
    if [line.rstrip("\r\n") for line in old_code] == [line.rstrip("\r\n") for line in old_raw]:
        return _trailing_like(code, cell.raw)  # no magics in this cell
    if len(new) != len(old_code):
        return None  # a fix added or removed lines in a cell with magics: not mapped back
    out = [raw if kept == was else kept for raw, kept, was in zip(old_raw, new, old_code)]
    return _trailing_like("".join(out), cell.raw)


def _trailing_like(code: str, raw: str) -> str:
    """``code`` ending the way ``raw`` did (a cell's last line has no newline in most notebooks)."""
    if not raw.endswith("\n") and code.endswith("\n"):
        return code[:-1]
    return code


def _syntax_error(code: str) -> tuple[int, int, str] | None:
    try:
        compile(code, "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError as error:
        return error.lineno or 1, error.offset or 1, f"syntax error: {error.msg} (cell not checked)"
    except (ValueError, RecursionError, MemoryError) as error:
        return 1, 1, f"cell not checked: {error}"
    return None


def _ending(text: str) -> str:
    return text[len(text.rstrip("\r\n")):]


def _line_count(code: str) -> int:
    return len(code.splitlines())


def dump_like(data: dict, original: bytes) -> bytes | None:
    """``data`` as JSON in the layout of ``original`` (indent, key order, escaping, final newline)."""
    before = json.loads(original.decode("utf-8-sig"))
    for indent in (1, 2, 4, None, 3):
        for sort_keys in (True, False):
            for ensure_ascii in (False, True):
                for end in ("\n", ""):
                    def dump(value):
                        return (json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
                                + end).encode("utf-8")
                    if dump(before) == original:
                        return dump(data)
    return None
