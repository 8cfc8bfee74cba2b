"""Jupyter notebooks: the code cells as one Python program, and the way back to cells.

The code cells are joined in order, each after a marker line, so a model's mode
flows from cell to cell. Each cell is read as IPython reads it (``notebook_cells``):
IPython-only syntax (``%magic``, ``!shell``, ``obj?``, ``x = !cmd``) becomes
``pass`` (``None``) line for line, ``%time stmt`` keeps its statement, and a
cell magic other than the timing ones (``%%bash``, ``%%writefile``...) hides
its whole cell. A cell is BN900 exactly where IPython cannot run it either.
A file that is not a notebook (JSON of another shape) is NotNotebook.
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
from functools import cached_property

from .finding import Finding
from .notebook_cells import CellCode, read_cell
from .notebook_places import source_places

NOTEBOOK_SUFFIX = ".ipynb"
MARKER = "# %% [bn-lint cell {}]"
_MARKER = re.compile(r"^# %% \[bn-lint cell (\d+)\]$")
_LINE_WORD = re.compile(r"\b(at |on |from |in )?line (\d+)\b")
_PYTHON_BREAK = re.compile(r"\r\n|\r|\n")


class NotNotebook(Exception):
    """The file is not a notebook bn-lint can read (message says why)."""


@dataclass(frozen=True)
class Cell:
    index: int  # 1-based position among all cells
    first_line: int  # program line of the cell's first line (after its marker)
    raw: str  # the cell's source as stored
    code: str  # what the program holds for it
    as_list: bool  # the notebook stores the source as a list of lines
    read: CellCode  # how the code's lines map to the cell's


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
        except RecursionError:
            raise NotNotebook("not a notebook: invalid JSON (nested too deep)") from None
        cells, parts, errors, line = [], [], [], 1
        for index, source in _code_cells(data):
            as_list = isinstance(source, list)
            raw_text = "".join(source) if as_list else source
            try:
                read = read_cell(raw_text)
            except Exception as error:  # a bug of the reader: this cell's alone, not the run's
                read = CellCode("", error=f"bn-lint cannot read the cell ({type(error).__name__}: {error})")
            code = read.code
            error = _syntax_error(code, read)
            if error is not None:  # checked apart: the other cells are still checked
                errors.append((index, *error))
                code = "".join("#" + _ending(text) for text in _lines(code))
            parts.append(MARKER.format(index) + "\n" + code)
            cells.append(Cell(index, line + 1, raw_text, code, as_list, read))
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
        """``finding`` (program coordinates) at its cell, line and column in that cell."""
        where = self.locate(finding.line)
        if where is None:
            return finding
        cell, line = where
        shift = finding.line - line
        place = next(c for c in self.cells if c.index == cell).read.place
        fix = None
        if finding.fix is not None:
            edits = tuple(replace(e, line=e.line - shift, end_line=e.end_line - shift) for e in finding.fix.edits)
            if all(e.line >= 1 for e in edits):
                fix = replace(finding.fix, edits=tuple(_placed(e, place) for e in edits))
        message = _LINE_WORD.sub(self._cell_words, finding.message)
        line, column = place(line, finding.column)
        end_line, end_column = place(max(where[1], finding.end_line - shift), finding.end_column)
        return replace(finding, line=line, end_line=max(line, end_line), cell=cell, fix=fix, message=message,
                       column=column, end_column=end_column)

    def _cell_words(self, match: "re.Match[str]") -> str:
        where = self.locate(int(match.group(2)))
        if where is None:
            return match.group(0)
        line = next(c for c in self.cells if c.index == where[0]).read.place(where[1], 1)[0]
        return f"{match.group(1) or ''}cell {where[0]}, line {line}"

    @cached_property
    def _places(self) -> dict[tuple[int, int], tuple[int, int]]:
        return source_places(self.raw.decode("utf-8-sig", "replace"), self.data.get("cells") or [])

    def file_place(self, cell: int, line: int, column: int) -> tuple[int, int] | None:
        """(line, column) in the ``.ipynb`` text of ``column`` on ``line`` of cell ``cell``; None when not found."""
        found = self._places.get((cell, line))
        return (found[0], found[1] + column - 1) if found is not None else None

    def cell_lines(self, index: int) -> list[str]:
        """The lines of cell ``index`` as stored (magics included)."""
        cell = next((c for c in self.cells if c.index == index), None)
        return [line.rstrip("\r\n") for line in _lines(cell.raw)] if cell else []

    # ------------------------------------------------------------- writing
    def with_program(self, program: str) -> bytes | None:
        """The notebook's bytes with the cells of the fixed ``program``; None when it cannot be mapped back."""
        chunks: dict[int, list[str]] = {}
        current: list[str] | None = None
        for text in _lines(program):
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
    """A cell's source as the program holds it: IPython-only syntax turned into Python, line for line."""
    return read_cell(source).code


def _code_cells(data) -> list[tuple[int, str | list[str]]]:
    """(1-based index among all cells, source) of each code cell; NotNotebook where the JSON is not a notebook's."""
    if isinstance(data, dict) and "worksheets" in data and "cells" not in data:
        raise NotNotebook("an nbformat 3 notebook (cells in worksheets): not read; "
                          "`jupyter nbconvert --to notebook --inplace` makes it nbformat 4")
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotNotebook("not a notebook: no list of cells")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise NotNotebook(f"not a notebook: the metadata is {_json_type(metadata)}, not an object")
    language = metadata.get("language_info") or {}
    if isinstance(language, dict) and language.get("name", "python") != "python":
        raise NotNotebook(f"not a Python notebook (language {language.get('name')!r})")
    found = []
    for index, cell in enumerate(data["cells"], 1):
        if not isinstance(cell, dict):
            raise NotNotebook(f"not a notebook: cell {index} is {_json_type(cell)}, not an object")
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if not isinstance(source, str) and not (isinstance(source, list) and all(isinstance(s, str) for s in source)):
            raise NotNotebook(f"not a notebook: the source of cell {index} is neither text nor a list of lines")
        found.append((index, source))
    return found


def _placed(edit, place):
    line, column = place(edit.line, edit.column)
    end_line, end_column = place(edit.end_line, edit.end_column)
    return replace(edit, line=line, column=column, end_line=end_line, end_column=end_column)


def _json_type(value) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _restore(cell: Cell, code: str) -> str | None:
    """The raw cell source for a fixed program chunk: magics and dropped heads put back; None if not possible."""
    old_code = _lines(cell.code)
    old_raw = _lines(cell.raw)
    new = _lines(code)
    if [line.rstrip("\r\n") for line in old_code] == [line.rstrip("\r\n") for line in old_raw]:
        return _trailing_like(code, cell.raw)  # the cell is its code
    if len(new) != len(old_code) or len(old_raw) != len(old_code):
        return None  # a fix added or removed lines in a cell IPython rewrites: not mapped back
    out = []
    for number, (raw, kept, was) in enumerate(zip(old_raw, new, old_code), 1):
        if kept == was:
            out.append(raw)
            continue
        body = cell.read.cell_line(number, was, kept.rstrip("\r\n"))
        if body is None:
            return None
        out.append(body + _ending(kept))
    return _trailing_like("".join(out), cell.raw)


def _trailing_like(code: str, raw: str) -> str:
    """``code`` ending the way ``raw`` did (a cell's last line has no newline in most notebooks)."""
    if not raw.endswith("\n") and code.endswith("\n"):
        return code[:-1]
    return code


def _syntax_error(code: str, read: CellCode) -> tuple[int, int, str] | None:
    """(line, column in the cell, message) where the cell is not Python as IPython reads it; None if it is."""
    try:
        compile(code, "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError as error:
        from .parsing import newer_grammar_tree

        if newer_grammar_tree(code, error) is None:  # (else: a newer Python's syntax, read by libcst)
            return (*read.place(error.lineno or 1, error.offset or 1), f"syntax error: {error.msg} (cell not checked)")
    except (ValueError, RecursionError, MemoryError) as error:
        return 1, 1, f"cell not checked: {error}"
    if read.error is not None:
        return 1, 1, f"{read.error} (cell not checked)"
    return None


def _ending(text: str) -> str:
    return text[len(text.rstrip("\r\n")):]


def _lines(text: str) -> list[str]:
    """``text``'s lines as Python counts them (only \\n, \\r\\n and \\r end a line), each with its ending."""
    ends = [m.end() for m in _PYTHON_BREAK.finditer(text)]
    starts = [0] + ends
    return [text[a:b] for a, b in zip(starts, ends + [len(text)]) if a < b]


def _line_count(code: str) -> int:
    return len(_lines(code))


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
