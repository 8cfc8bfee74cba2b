"""The modules a file's import statements name, read from its text without parsing it."""
from __future__ import annotations

import re

_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(?P<module>\.*[\w.]*)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n#;]*)"
    rb"|import[ \t]+(?P<plain>[^\n#;]+))",
    re.MULTILINE,
)


def imported_modules(data: bytes) -> set[str]:
    """Every dotted name an import statement of ``data`` may load: ``a.b`` and ``a.b.c`` for
    ``from a.b import c``, ``.m`` for ``from . import m``."""
    found: set[str] = set()
    for match in _IMPORT.finditer(data):
        if match.group("plain") is not None:
            for part in match.group("plain").decode("utf-8", "replace").split(","):
                name = part.split(" as ")[0].strip().rstrip("\\").strip()
                if name:
                    found.add(name)
            continue
        module = match.group("module").decode("utf-8", "replace")
        if module.strip("."):
            found.add(module)
        names = match.group("names").decode("utf-8", "replace").strip("()\\ \t\r\n")
        for part in names.replace("\\", " ").split(","):
            name = part.split(" as ")[0].strip()
            if name and name != "*" and name.isidentifier():
                found.add(module + name if module.endswith(".") else f"{module}.{name}")
    return found


def imported_names(data: bytes) -> list[tuple[str, str]]:
    """``(module, name)`` for each name a ``from module import name`` statement of ``data`` binds
    (``as`` aliases read as the imported name; ``*`` and ``from . import m`` left out)."""
    found: list[tuple[str, str]] = []
    for match in _IMPORT.finditer(data):
        if match.group("plain") is not None or not match.group("module").strip(b"."):
            continue
        module = match.group("module").decode("utf-8", "replace")
        names = match.group("names").decode("utf-8", "replace").strip("()\\ \t\r\n")
        for part in names.replace("\\", " ").split(","):
            name = part.split(" as ")[0].strip()
            if name and name != "*" and name.isidentifier():
                found.append((module, name))
    return found
