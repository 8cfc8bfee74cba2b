"""BN900 syntax-error and BN901 unreadable-file: reported by the engine itself."""
from __future__ import annotations

from ..finding import Severity
from ..rule import Rule


class SyntaxErrorRule(Rule):
    code = "BN900"
    name = "syntax-error"
    severity = Severity.ERROR
    tool = True
    summary = "The file could not be parsed; the run goes on with the other files."
    what = "Reported when a file is not valid Python (including NUL bytes and nesting too deep to parse)."
    why = "bn-lint cannot check what it cannot parse, and silence would look like a clean file."
    fix_docs = "Fix the syntax error; the message gives its line and column."
    references = (
        ('`ast.parse`: the parser bn-lint checks the syntax with (Python docs)',
         'https://docs.python.org/3/library/ast.html#ast.parse'),
    )


class UnreadableFile(Rule):
    code = "BN901"
    name = "unreadable-file"
    severity = Severity.ERROR
    tool = True
    summary = "The file could not be read or checked: permissions, undecodable bytes, not a regular file, too big."
    what = (
        "Reported when a file cannot be opened or read, or its bytes cannot be decoded with the encoding "
        "Python would use (a PEP 263 coding cookie, a UTF-8 BOM, or UTF-8), or it is too big to check: "
        "\"file not checked: N MiB is over the 2 MiB limit\" (a .py file: over 8 MiB it is not even read; "
        "between 2 and 8 MiB only when a rule's triggers match its text), \"... over the 8 MiB limit\" (a "
        "notebook file)."
    )
    why = "bn-lint cannot check what it cannot read, and silence would look like a clean file."
    fix_docs = "Fix the file's permissions, or its encoding (or declare the right one with a coding cookie)."
    references = (
        ('PEP 263: defining Python source code encodings', 'https://peps.python.org/pep-0263/'),
    )
