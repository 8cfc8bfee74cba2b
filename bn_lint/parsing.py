"""Parsing one file: the stdlib compiler's syntax check, then libcst's tree."""
from __future__ import annotations

import ast
import re
import symtable
import warnings

import libcst as cst

MAX_CHARS = 2 * 2**20  # the largest file of 3,356 in seven real PyTorch packages is under 0.5 MiB
# the words the symbol table's own checks are about (`global` after use, `nonlocal` without a binding,
# `yield` in a comprehension, `:=` rebinding a comprehension's variable, `import *` in a function...)
_SCOPE_WORDS = re.compile(r"\b(?:global|nonlocal|yield|await|async)\b|:=|import\s*\*")
_TOO_DEEP = "syntax error: nesting too deep for Python's compiler"


def syntax_error(text: str, tree_later: bool = False) -> tuple[str, int, int] | None:
    """(message, line, column) of a syntax error found by the (much faster) stdlib parser, if any.

    Run it before libcst: it words errors well, and it refuses nesting so deep that libcst's native
    parser would overflow the C stack (a crash, not an exception). Building the symbol table parses
    the file and checks its scopes (``nonlocal`` misuse, a parameter declared ``global``) without
    generating bytecode or Python AST objects: 2.4 s over 2,290 files where ``compile`` takes 3.4 s
    and ``ast.parse`` 3.8 s. (Errors only code generation finds, ``return`` outside a function, pass.)

    ``tree_later``: ``stdlib_tree`` will parse the file (for its quick tree), and says the parser's errors
    then; here only the symbol table's checks run, where the code has a word they are about (duplicate
    parameters are the quick tree's check).
    """
    from . import deep

    if not tree_later and _OUTSIDE_WORDS.search(text):
        try:  # (`return` at the margin: only code generation finds it; confirm it there)
            with warnings.catch_warnings(), deep.shallow():
                warnings.simplefilter("ignore")
                compile(text, "<bn-lint>", "exec", dont_inherit=True)
        except SyntaxError as error:
            return described(error)
        except (RecursionError, MemoryError, ValueError):
            pass
    if tree_later and not _SCOPE_WORDS.search(text):
        return None
    try:
        with warnings.catch_warnings(), deep.shallow():
            warnings.simplefilter("ignore")
            symtable.symtable(text, "<bn-lint>", "exec")
    except SyntaxError as error:
        return None if newer_grammar_tree(text, error) is not None else described(error)
    except (RecursionError, MemoryError):
        return _TOO_DEEP, 1, 1
    except ValueError as error:
        return f"syntax error: {error}", 1, 1
    return None


def stdlib_tree(text: str) -> ast.Module:
    """The stdlib parser's tree of ``text``, as a normal ``python`` run parses it (warnings silenced);
    raises ``SyntaxError`` (``described`` words it as ``syntax_error`` does)."""
    from . import deep

    try:
        with warnings.catch_warnings(), deep.shallow():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
            misplaced = _misplaced(tree.body, in_function=False, in_loop=False)
    except (RecursionError, MemoryError):
        raise SyntaxError("nesting too deep for Python's compiler") from None
    except ValueError as error:
        raise SyntaxError(str(error)) from None
    if misplaced is not None:
        error = SyntaxError(misplaced[0])
        error.lineno, error.offset = misplaced[1], misplaced[2]
        raise error
    return tree


_OUTSIDE_WORDS = re.compile(r"^(?:return|break|continue)\b", re.MULTILINE)
_MISPLACED = {ast.Return: "'return' outside function", ast.Break: "'break' outside loop",
              ast.Continue: "'continue' not properly in loop"}


def _misplaced(body: list, in_function: bool, in_loop: bool) -> tuple[str, int, int] | None:
    """The first ``return`` outside a function, or ``break``/``continue`` outside a loop, in ``body``
    (statements only: errors the compiler's code generation reports, which the parser lets pass)."""
    for node in body:
        kind = type(node)
        if kind in _MISPLACED and not (in_function if kind is ast.Return else in_loop):
            return _MISPLACED[kind], node.lineno, node.col_offset + 1
        if kind in (ast.FunctionDef, ast.AsyncFunctionDef):
            found = _misplaced(node.body, True, False)
        elif kind is ast.ClassDef:
            found = _misplaced(node.body, False, False)
        elif kind in (ast.For, ast.AsyncFor, ast.While):
            found = _misplaced(node.body, in_function, True) or _misplaced(node.orelse, in_function, in_loop)
        else:
            found = None
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                inner = getattr(node, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], (ast.stmt, ast.excepthandler, ast.match_case)):
                    found = found or _misplaced(inner, in_function, in_loop)
        if found:
            return found
    return None


_NESTING = re.compile(r"(?i)nest|too many|too deep|recursion")


def newer_grammar_tree(text: str, error: SyntaxError) -> "cst.Module | None":
    """libcst's tree of ``text``, which this interpreter's parser refused with ``error``, where the refusal is
    syntax of a newer Python (PEP 701's f-strings on 3.11, say) that libcst's grammar accepts; else None.

    A project's code is written for the Python it runs on, which may be newer than bn-lint's. Scope errors
    (the symbol table's, which the parser passes) and nesting limits stay errors.
    """
    if _NESTING.search(error.msg or ""):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
        return None  # (the grammar accepts it: a scope error of the symbol table)
    except SyntaxError:
        pass
    except (RecursionError, MemoryError, ValueError):
        return None
    try:
        return parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError):
        return None


def described(error: SyntaxError) -> tuple[str, int, int]:
    """(message, line, column) of a syntax error, as ``syntax_error`` gives them."""
    return f"syntax error: {error.msg}", error.lineno or 1, max(error.offset or 1, 1)


def parse_module(text: str) -> cst.Module:
    """libcst's tree of ``text``, which ``syntax_error`` has accepted.

    libcst validates every node it builds (``__post_init__``), a check meant for trees built by hand;
    the tree of code the compiler accepted needs none, and skipping it takes an eighth off the parse.
    """
    validate = cst.CSTNode.__post_init__
    cst.CSTNode.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(text)
    finally:
        cst.CSTNode.__post_init__ = validate  # type: ignore[method-assign]


def _no_validation(self: "cst.CSTNode") -> None:
    pass
