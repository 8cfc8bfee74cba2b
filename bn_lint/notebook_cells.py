"""One notebook cell read as IPython reads it, as Python line for line.

IPython (``IPython.core.inputtransformer2.TransformerManager.transform_cell``)
first drops leading blank lines, the indentation of the first line from every
line that has it, and ``>>>`` / ``In [1]:`` prompts; a cell starting ``%%`` is
a cell magic; then, one at a time, it rewrites the special syntax it finds in
the *tokens*: an escape (``%``, ``!``, ``?``, ``,``, ``;``, ``/``) as the first
token of a logical line (so never inside open brackets nor after a backslash),
``x = %magic`` and ``x = !cmd``, and a logical line whose last token is ``?``.
The same rules are followed here (the tokenizer is the standard library's, as
IPython's is), with two differences that keep the program useful and its lines
where the cell's are: each rewritten piece becomes ``pass`` (``None`` after
``=``) on its first line and blank lines after it, and a ``%time``,
``%timeit`` or ``%prun`` line keeps the statement it times (``x = %time
expr`` its expression) when that is Python, so a bug in it is still found.
Where ``pass`` would not mean what IPython's call means (autocall ``/f x``,
quotes before ``x = !cmd``, a rewrite after a form feed), IPython's text is
kept. The body of a Python cell magic (``%%time``...) is a cell of its own;
another cell magic's body is hidden. IPython is not imported.

``benchmarks/notebooks/differential.py`` and ``tests/test_notebook_ipython.py``
hold this reader to IPython's verdict: a cell parses here exactly where
IPython makes Python of it.

Where a line's code and its text in the cell differ only by a head (the
indentation or prompt IPython drops, a ``%time`` before the statement),
``heads`` says so: findings' columns and fixed lines are mapped through it.
"""
from __future__ import annotations

import ast
import re
import sys
import textwrap
import tokenize
from dataclasses import dataclass, field

PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})  # their body is a cell
_TIMING = {"time": "", "timeit": "n:r:tcp:qo", "prun": "D:l:rs:T:q"}  # line magics running a statement: options
_ESCAPES = frozenset("!?%,;/")
_DOCTEST_FIRST, _DOCTEST_PS1, _DOCTEST_PS2 = re.compile(r"^\s*>>>"), re.compile(r"^\s*>>>[ \t]?"), re.compile(
    r"^\s*\.\.\.[ \t]?")
_TRIPLE_QUOTE, _STRING_PREFIX = re.compile(r"(?<!\\)(\"\"\"|\'\'\')"), re.compile(r"(?i)^[rubf]*$")
_IPYTHON_PROMPT = re.compile(r"^((((\[nav\]|\[ins\])? )?In \[\d+\]: |\s*\.{3,}: ?))")
_HELP_END = re.compile(r"(%{0,2}(?!\d)[\w*]+(\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)$")
_CAUGHT_TOKEN_ERRORS = ("unterminated string literal", "invalid non-printable character",
                        "after line continuation character", "expected EOF")
_OPTION, _OPTION_VALUE = re.compile(r"[ \t]*(-(\S*))"), re.compile(r"[ \t]+\S+")
_TRANSFORM_LIMIT = 500  # IPython gives up (an error) after as many rewrites
_PYTHON_BREAK = re.compile(r"\r\n|\r|\n")
_FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


@dataclass(frozen=True)
class CellCode:
    code: str  # the cell as Python, ending in a newline unless empty
    heads: dict[int, tuple[str, str]] = field(default_factory=dict)  # line -> (head in code, head in the cell)
    rewritten: frozenset[int] = frozenset()  # lines standing for IPython syntax: no way back to the cell
    error: str | None = None  # IPython itself fails on the cell (it is not Python then either)
    moved: tuple[int, ...] = ()  # the cell's line of each code line, where they differ (a form feed IPython ended)

    def place(self, line: int, column: int) -> tuple[int, int]:
        """(line, column) in the cell of 1-based ``line`` and ``column`` in the code."""
        head = self.heads.get(line)
        if head is not None and column - 1 >= len(head[0]):
            column += len(head[1]) - len(head[0])
        return (self.moved[line - 1] if 0 < line <= len(self.moved) else line), column

    def cell_line(self, line: int, code_line: str, new: str) -> str | None:
        """The cell's ``line`` for the code line ``code_line`` changed into ``new``; None if not possible."""
        if line in self.rewritten:
            return None
        code_head, cell_head = self.heads.get(line, ("", ""))
        return cell_head + new[len(code_head):] if new.startswith(code_head) else None


def read_cell(source: str) -> CellCode:
    """``source`` (a code cell) as Python, line for line: see the module's docstring."""
    if not source:
        return CellCode("")
    reader = _Reader(source if source.endswith("\n") else source + "\n")
    try:
        reader.run()
    except (SyntaxError, RuntimeError, IndexError) as error:  # IPython raises these too: the cell fails there
        reader.error = f"IPython cannot read the cell: {type(error).__name__}: {error}"
    return reader.result()


def parses(code: str) -> bool:
    try:
        compile(code, "<cell>", "exec", _FLAGS)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


class _Reader:
    def __init__(self, text: str) -> None:
        self.raw = text.splitlines(keepends=True)  # (lines as IPython splits them)
        self.out: list[str | None] = [None] * len(self.raw)  # code of each line without its ending; None: as cleaned
        self.heads: dict[int, tuple[str, str]] = {}
        self.rewritten: set[int] = set()
        self.error: str | None = None
        self.first = next((i for i, line in enumerate(self.raw) if line and not line.isspace()), 0)
        self.lines = self.raw[self.first:]  # IPython's lines: rewritten ones replace the lines they stand for
        self.origins = [[i] for i in range(self.first, len(self.raw))]  # raw lines of each of IPython's lines
        self.cleaned = list(self.raw)  # each raw line with its indentation and prompt dropped (as IPython does)

    # ------------------------------------------------------------- cleanup
    def run(self) -> None:
        for i in range(self.first):  # blank lines IPython drops: blank for Python too (\u2028 is not)
            if self.raw[i].strip(" \t\x0c\r\n") or not _PYTHON_BREAK.fullmatch(_ending(self.raw[i])):
                self._set(i, "")
        self._strip(_leading_indent(self.lines))
        self._strip(_doctest_prompt_widths(self.lines))
        if self.lines and (_IPYTHON_PROMPT.match(self.lines[0]) or len(self.lines) > 1
                           and _IPYTHON_PROMPT.match(self.lines[1])):
            self._strip([len(line) - len(_IPYTHON_PROMPT.sub("", line, count=1)) for line in self.lines])
        if self.lines and self.lines[0].startswith("%%") and not re.match(r"%%\w+\?", self.lines[0]):
            self._cell_magic()
            return
        for _ in range(_TRANSFORM_LIMIT):
            if not self._rewrite_one():
                return
        raise RuntimeError(f"input transformation still changing after {_TRANSFORM_LIMIT} iterations")

    def _strip(self, widths: list[int]) -> None:
        for k, width in enumerate(widths):
            if width:
                i = self.origins[k][0]
                old_head = self.heads.get(i, ("", ""))[1]
                self.heads[i] = ("", old_head + self.lines[k][:width])
                self.lines[k] = self.cleaned[i] = self.lines[k][width:]

    def _cell_magic(self) -> None:
        name = self.lines[0][2:].rstrip().partition(" ")[0]
        start = self.first
        self._set(start, "pass")
        body_lines = range(start + 1, len(self.raw))
        body = read_cell("".join(self.cleaned[i] for i in body_lines)) if name in PYTHON_CELL_MAGICS else None
        if (body is None or body.error or len(_PYTHON_BREAK.findall(body.code)) != len(body_lines)
                or not parses(body.code)):  # IPython keeps the body as text: hidden
            for i in body_lines:
                self._set(i, "#")
            return
        for offset, text in enumerate(_PYTHON_BREAK.split(body.code)[:len(body_lines)]):
            i, line = start + 1 + offset, offset + 1
            self.out[i] = text
            if line in body.rewritten:
                self.rewritten.add(i)
            if line in body.heads:
                code_head, cell_head = body.heads[line]
                self.heads[i] = (code_head, self.heads.get(i, ("", ""))[1] + cell_head)

    # ------------------------------------------------------ token rewrites
    def _rewrite_one(self) -> bool:
        """Find the special syntax earliest in the cell and rewrite it, as IPython does one step."""
        by_line = _tokens_by_line(self.lines)
        found = [f for f in (_magic_assign(by_line), _system_assign(by_line), _escaped(by_line), _help_end(by_line))
                 if f is not None]
        for kind, line, column, _priority, extra in sorted(found, key=lambda f: f[1:4]):
            try:
                getattr(self, "_rewrite_" + kind)(line, column, extra)
            except SyntaxError:
                continue
            return True
        return False

    def _rewrite_assign(self, line: int, column: int, escape: str) -> None:
        lhs = self.lines[line][:column]
        end = _end_of_continued(self.lines, line)
        rhs = _assembled(self.lines, line, column, end)
        if escape == "%":
            name, _, args = rhs[1:].partition(" ")
            call = f"get_ipython().run_line_magic({name!r}, {args!r})"
        else:
            call = f"get_ipython().getoutput({rhs[1:]!r})"
        if any(mark in lhs for mark in "\"'#\\"):  # (a string or comment IPython's quotes may close: its text)
            self._replace(line, end, lhs + call + "\n", lhs + call)
            return
        timed = self._timed(line, column, end, "eval") if escape == "%" else None
        self._replace(line, end, lhs + call + "\n", *(timed or (lhs + "None", None)))

    def _rewrite_escaped(self, line: int, column: int, _extra) -> None:
        indent = self.lines[line][:column]
        end = _end_of_continued(self.lines, line)
        text = _assembled(self.lines, line, column, end)
        escape = text[:2] if text[:2] in ("!!", "??") else text[:1]
        content = text[len(escape):]
        name, _, args = content.partition(" ")
        if escape == "/" and not name:
            raise SyntaxError("no callable name after /")  # (IPython leaves the line as it is)
        if escape in ",;/":  # autocall: a call of Python code, which the program keeps
            quoted = {",": lambda: '", "'.join(args.split()), ";": lambda: args}
            call = f'{name}("{quoted[escape]()}")' if escape in quoted else f"{name}({', '.join(args.split())})"
            self._replace(line, end, indent + call + "\n", indent + call)
            return
        timed = self._timed(line, column, end, "exec") if escape == "%" else None
        self._replace(line, end, indent + "get_ipython()\n", *(timed or (indent + "pass", None)))

    def _rewrite_help(self, line: int, column: int, question: int) -> None:
        piece = "".join(self.lines[line:question + 1])
        if not _HELP_END.search(piece[column:]):
            raise SyntaxError(piece[column:])
        indent = piece[:column]
        self._replace(line, question, indent + "get_ipython()\n", indent + "pass")

    def _timed(self, line: int, column: int, end: int, mode: str) -> tuple[str, tuple[str, str]] | None:
        """The code line keeping the statement of ``%time stmt`` (at ``column`` of ``line``) and its head,
        if that statement is Python on one line (``mode`` "eval": the expression of ``x = %time expr``)."""
        if end != line or len(self.origins[line]) != 1 or self.origins[line][0] in self.rewritten:
            return None
        text = self.lines[line].rstrip("\r\n")
        match = re.match(r"%(\w+) ", text[column:])
        if match is None or match.group(1) not in _TIMING or mode == "eval" and match.group(1) != "time":
            return None  # (x = %timeit -o f() is not f()'s value, as x = %time f() is)
        start = _after_options(text, column + match.end(), _TIMING[match.group(1)])
        if start is None or not text[start:].strip():
            return None
        statement = text[start:]
        try:
            tree = compile(statement, "<magic>", mode, _FLAGS)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        if isinstance(tree, ast.Module) and not tree.body:
            return None  # (a comment alone)
        head = self.heads.get(self.origins[line][0], ("", ""))[1]
        return text[:column] + statement, (text[:column], head + text[:start])

    def _replace(self, start: int, end: int, ipython_line: str, code: str,
                 head: tuple[str, str] | None = None) -> None:
        """IPython's lines ``start``..``end`` become ``ipython_line``; the program's first of them ``code``
        (with ``head``: a line of the cell still, else a rewritten one), the others blank."""
        end = min(end, len(self.lines) - 1)
        origins = [i for k in range(start, end + 1) for i in self.origins[k]]
        before = origins[0] - 1
        if before >= 0 and self.out[before] is None and not _PYTHON_BREAK.fullmatch(_ending(self.raw[before])):
            code, head = ipython_line.rstrip("\n"), None  # (after a form feed, on the same line for Python: as IPython)
        for i in origins[1:]:
            self._set(i, "")
        if head is not None:
            self.out[origins[0]] = code
            self.heads[origins[0]] = head
        else:
            self._set(origins[0], code)
        self.lines[start:end + 1] = [ipython_line]
        self.origins[start:end + 1] = [origins]

    def _set(self, i: int, code: str) -> None:
        self.out[i] = code
        self.rewritten.add(i)
        self.heads.pop(i, None)

    # -------------------------------------------------------------- result
    def result(self) -> CellCode:
        parts, heads, rewritten, line, raw_line, lines = [], {}, set(), 1, 1, []
        for i, raw in enumerate(self.raw):
            ending = _ending(raw)
            if self.out[i] is not None and not _PYTHON_BREAK.fullmatch(ending):
                ending = "\n"  # (IPython ends what it rewrites with a newline, even at a form feed: a line more)
            text = self.cleaned[i] if self.out[i] is None else self.out[i] + ending
            parts.append(text)
            if i in self.rewritten:
                rewritten.add(line)
            elif i in self.heads and line not in heads:
                heads[line] = self.heads[i]
            breaks = len(_PYTHON_BREAK.findall(text))
            lines += [raw_line] * breaks
            line, raw_line = line + breaks, raw_line + len(_PYTHON_BREAK.findall(raw))
        moved = tuple(lines) if lines != list(range(1, len(lines) + 1)) else ()
        return CellCode("".join(parts), heads, frozenset(rewritten), self.error, moved)


# ------------------------------------------------------------------ helpers
def _in_triple_quotes(lines: list[str]) -> list[bool]:
    """IPython's guess (9.x) of the lines inside a triple-quoted string, where a prompt is text."""
    mask: list[bool] = []
    quote, preserve, seen_prompt = None, False, False
    for line in lines:
        mask.append(quote is not None and preserve)
        for match in _TRIPLE_QUOTE.finditer(line):
            if quote is None:
                quote = match.group(1)
                before = line[:match.start()]
                stripped = _DOCTEST_PS2.sub("", _DOCTEST_PS1.sub("", before, count=1), count=1)
                preserve = bool(not (stripped != before and seen_prompt) and _STRING_PREFIX.match(stripped.strip()))
                mask[-1] = preserve
            elif quote == match.group(1):
                quote, preserve = None, False
        seen_prompt = seen_prompt or bool(_DOCTEST_FIRST.match(line))
    return mask


def _doctest_prompt_widths(lines: list[str]) -> list[int]:
    """The ``>>>`` / ``...`` prompt (and the indentation it leaves) IPython 9 drops from each line.

    A block is a pasted doctest only where a ``>>>`` line stands outside triple quotes; then each
    such line loses its prompt, and each run of lines that lost one is dedented together.
    """
    inside = _in_triple_quotes(lines)
    if not any(not masked and _DOCTEST_FIRST.match(line) for line, masked in zip(lines, inside)):
        return [0] * len(lines)
    stripped = [line if masked else _DOCTEST_PS1.sub("", line, count=1) if _DOCTEST_PS1.match(line)
                else _DOCTEST_PS2.sub("", line, count=1) for line, masked in zip(lines, inside)]
    widths = [len(line) - len(new) for line, new in zip(lines, stripped)]
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and inside[end] == inside[start]:
            end += 1
        if not inside[start] and any(widths[start:end]):
            for k, width in enumerate(_dedent_widths(stripped[start:end])):
                widths[start + k] += width
        start = end
    return widths


def _leading_indent(lines: list[str]) -> list[int]:
    """The indentation IPython (9.x) drops: the cell's common leading whitespace (``textwrap.dedent``)."""
    return _dedent_widths(lines)


def _dedent_widths(lines: list[str]) -> list[int]:
    """How many leading characters ``textwrap.dedent`` takes from each line of a block."""
    dedented = textwrap.dedent("".join(lines)).splitlines(keepends=True)
    if len(dedented) != len(lines) or not all(old.endswith(new) for old, new in zip(lines, dedented)):
        return [0] * len(lines)  # (line breaks dedent reads otherwise: nothing taken)
    return [len(old) - len(new) for old, new in zip(lines, dedented)]


def _ending(text: str) -> str:
    body = text.splitlines()[0] if text.splitlines() else ""
    return text[len(body):]


def _end_of_continued(lines: list[str], start: int) -> int:
    end = start
    while lines[end].endswith("\\\n"):
        end += 1
        if end >= len(lines):
            break
    return end


def _assembled(lines: list[str], start: int, column: int, end: int) -> str:
    parts = [lines[start][column:]] + lines[start + 1:end + 1]
    return " ".join([p.rstrip()[:-1] for p in parts[:-1]] + [parts[-1].rstrip()])


def _after_options(text: str, start: int, options: str) -> int | None:
    """Where the statement starts after getopt-style ``options`` (``n:`` takes a value); None if unsure."""
    if not options:  # (%time reads no options)
        return len(text) - len(text[start:].lstrip(" \t"))
    position = start
    while True:
        match = _OPTION.match(text, position)
        if match is None or match.group(2) == "":
            return len(text) - len(text[position:].lstrip(" \t"))
        if match.group(2) == "-":
            return len(text) - len(text[match.end():].lstrip(" \t"))
        position, letters = match.end(), match.group(2)
        for k, letter in enumerate(letters):
            if letter == ":" or letter not in options:
                return None
            if options[options.index(letter) + 1:options.index(letter) + 2] == ":":
                if k + 1 == len(letters):  # the value is the next word
                    value = _OPTION_VALUE.match(text, position)
                    if value is None:
                        return None
                    position = value.end()
                break


def _tokens_by_line(lines: list[str]) -> list[list[tokenize.TokenInfo]]:
    """The cell's tokens grouped by logical line, as IPython groups them (``make_tokens_by_line``)."""
    by_line: list[list[tokenize.TokenInfo]] = [[]]
    depth, seen = 0, []
    try:
        try:
            for token in tokenize.generate_tokens(iter(lines).__next__):
                seen.append(token)
                by_line[-1].append(token)
                if token.type == tokenize.NEWLINE or token.type == tokenize.NL and depth <= 0:
                    by_line.append([])
                elif token.string in ("(", "[", "{"):
                    depth += 1
                elif token.string in (")", "]", "}") and depth > 0:
                    depth -= 1
        except tokenize.TokenError as error:
            if any(words in str(error.args[0]) for words in _CAUGHT_TOKEN_ERRORS):
                last = seen[-1] if seen else None
                start = (last.start[0], last.end[0]) if last else (1, 0)
                by_line[-1].append(tokenize.TokenInfo(tokenize.ERRORTOKEN, "", start, start, last.line if last else ""))
            raise
    except tokenize.TokenError:
        pass
    if not by_line[-1]:
        by_line.pop()
    return by_line


def _assign_index(line: list[tokenize.TokenInfo]) -> int | None:
    depth = 0
    for k, token in enumerate(line):
        if token.string == "=" and depth == 0:
            return k
        if token.string in ("(", "[", "{"):
            depth += 1
        elif token.string in (")", "]", "}") and depth > 0:
            depth -= 1
    return None


# Each finder gives (kind, 0-based line, column, priority, extra) for the first place it matches, as IPython's.
def _magic_assign(by_line):
    for line in by_line:
        k = _assign_index(line)
        if k is not None and len(line) >= k + 2 and line[k + 1].string == "%" and line[k + 2].type == tokenize.NAME:
            return "assign", line[k + 1].start[0] - 1, line[k + 1].start[1], 10, "%"
    return None


def _system_assign(by_line):
    for line in by_line:
        k = _assign_index(line)
        if k is None or line[k].line.strip().startswith("=") or len(line) < k + 2:
            continue
        if sys.version_info >= (3, 12):
            if line[k + 1].type == tokenize.OP and line[k + 1].string == "!":
                return "assign", line[k + 1].start[0] - 1, line[k + 1].start[1], 10, "!"
            continue
        j = k + 1
        while j < len(line) and line[j].type == tokenize.ERRORTOKEN:
            if line[j].string == "!":
                return "assign", line[j].start[0] - 1, line[j].start[1], 10, "!"
            if not line[j].string.isspace():
                break
            j += 1
    return None


def _escaped(by_line):
    for line in by_line:
        k = 0
        while k < len(line) and line[k].type in (tokenize.INDENT, tokenize.DEDENT):
            k += 1
        if k < len(line) and line[k].string in _ESCAPES:
            return "escaped", line[k].start[0] - 1, line[k].start[1], 10, None
    return None


def _help_end(by_line):
    for line in by_line:
        if len(line) > 2 and line[-2].string == "?":
            k = 0
            while line[k].type in (tokenize.INDENT, tokenize.DEDENT):
                k += 1
            return "help", line[k].start[0] - 1, line[k].start[1], 5, line[-2].start[0] - 1
    return None
