"""The reverse import index: which project files import a given file.

A finding in a file can come from its callers in other files (an ``evaluate()`` whose caller
never calls ``.eval()``). Checking only that file (a pre-commit hook passes the staged files)
would miss it, so the check also runs the file's importers and keeps what they find in it.
The index is built from the import statements in the files' text, without parsing them, and
each import is resolved the way the project resolves it (``Project.resolve_module``).
"""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from .project import Project

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


class ReverseIndex:
    """Importers of the files of one run: built once from the project files' text."""

    def __init__(self, project: "Project", files: Iterable[str]) -> None:
        self.project = project
        self._files = [os.path.realpath(f) for f in files]  # the project files that may import others
        self._modules: dict[str, set[str]] = {}

    def importers(self, path: str) -> list[str]:
        """The files (absolute, sorted) whose imports resolve to ``path``."""
        target = os.path.realpath(path)
        stem = _module_word(target)
        found = []
        for other in self._files:
            if other == target:
                continue
            modules = self._imports(other)
            if not any(stem in name.split(".") or name.lstrip(".") == "" for name in modules):
                continue  # (a cheap test first: the import names the module's word)
            for name in modules:
                resolved = self.project.resolve_module(name, other)
                if resolved is not None and os.path.realpath(resolved) == target:
                    found.append(other)
                    break
        return sorted(found)

    def _imports(self, path: str) -> set[str]:
        modules = self._modules.get(path)
        if modules is None:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                data = b""
            modules = self._modules[path] = imported_modules(data)
        return modules


def _module_word(path: str) -> str:
    """The last part of the module name of ``path``: ``model`` for ``pkg/model.py``, ``pkg`` for its ``__init__``."""
    folder, name = os.path.split(path)
    stem = os.path.splitext(name)[0]
    return os.path.basename(folder) if stem == "__init__" else stem
