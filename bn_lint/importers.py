"""The reverse import index: which project files import a given file.

A finding in a file can come from its callers in other files (an ``evaluate()`` whose caller
never calls ``.eval()``). Checking only that file (a pre-commit hook passes the staged files)
would miss it, so the check also runs the file's importers and keeps what they find in it.
The index is built from the import statements in the files' text, without parsing them, and
each import is resolved the way the project resolves it (``Project.resolve_module``).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, Iterable

from pathlib import Path

from .import_lines import imported_modules

if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings
    from .project import Project
    from .resolve import Resolver

class ReverseIndex:
    """Importers of the files of one run: built once from the project files' text."""

    def __init__(self, project: "Project", files: Iterable[str], known: "ImportLines | None" = None) -> None:
        self.project = project
        self._files = [os.path.realpath(f) for f in files]  # the project files that may import others
        self._modules: dict[str, set[str]] = {}
        self._known = known  # what earlier runs read of the files' import lines, by size and time
        self._by_word: dict[str, set[str]] | None = None  # a word of an imported name -> the files importing it
        self._targets: dict[tuple[str, str], str | None] = {}  # (file, imported name) -> the real path it loads

    def importers(self, path: str) -> list[str]:
        """The files (absolute, sorted) whose imports resolve to ``path``."""
        target = os.path.realpath(path)
        word = _module_word(target)
        found = []
        for other in sorted(self._words().get(word, ())):
            if other == target:
                continue
            for name in self._imports(other):
                if word not in name.split("."):
                    continue  # (this import cannot load the target)
                if self._target(other, name) == target:
                    found.append(other)
                    break
        return found

    def _target(self, path: str, name: str) -> str | None:
        """The real path of the file that ``import name`` in ``path`` loads (resolved once per run)."""
        key = (path, name)
        if key not in self._targets:
            resolved = self.project.resolve_module(name, path)
            self._targets[key] = os.path.realpath(resolved) if resolved is not None else None
        return self._targets[key]

    def _words(self) -> dict[str, set[str]]:
        if self._by_word is None:
            self._by_word = {}
            for other in self._files:
                for name in self._imports(other):
                    for word in name.split("."):
                        if word:
                            self._by_word.setdefault(word, set()).add(other)
        return self._by_word

    def _imports(self, path: str) -> set[str]:
        modules = self._modules.get(path)
        if modules is None and self._known is not None:
            modules = self._known.get(path)
        if modules is None:
            from .source import UnreadableSource, read_bytes

            try:
                data = read_bytes(path)  # (stat first: never a FIFO or a device)
            except UnreadableSource:
                data = b""
            modules = imported_modules(data)
            if self._known is not None:
                self._known.put(path, modules)
        self._modules[path] = modules
        return modules


class ImportLines:
    """The modules each project file's import lines name, kept in the cache folder between runs (``imports.json``)
    with each file's size and modification time: a later run reads only the files changed since (a file changed in
    the last two seconds is never kept: another change within the clock's granularity could keep both)."""

    def __init__(self, directory: str | os.PathLike) -> None:
        import json
        import time

        self._path = Path(directory) / "imports.json"
        self._now = time.time_ns()
        try:
            loaded = json.loads(self._path.read_text(encoding="utf-8"))
            self._entries: dict[str, list] = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self._entries = {}
        self._changed = False

    def get(self, path: str) -> set[str] | None:
        entry = self._entries.get(path)
        try:
            stat = os.stat(path)
        except OSError:
            return None
        if isinstance(entry, list) and len(entry) == 3 and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns \
                and isinstance(entry[2], list):
            return set(entry[2])
        return None

    def put(self, path: str, modules: set[str]) -> None:
        from .cache import _RACY_NS  # (the result cache's window for a file changed too recently to trust its time)

        try:
            stat = os.stat(path)
        except OSError:
            return
        if self._now - stat.st_mtime_ns < _RACY_NS:
            return
        self._entries[path] = [stat.st_size, stat.st_mtime_ns, sorted(modules)]
        self._changed = True

    def save(self) -> None:
        """Write the entries back atomically when this run read any file anew (failures are ignored)."""
        if not self._changed or not self._path.parent.is_dir():
            return
        import json

        from .atomic import replace

        try:
            replace(str(self._path), json.dumps(self._entries, separators=(",", ":")).encode("utf-8"))
        except OSError:
            pass


def _module_word(path: str) -> str:
    """The last part of the module name of ``path``: ``model`` for ``pkg/model.py``, ``pkg`` for its ``__init__``."""
    folder, name = os.path.split(path)
    stem = os.path.splitext(name)[0]
    return os.path.basename(folder) if stem == "__init__" else stem


GREP_WORDS = 64  # more module names than this (a run over a whole package): read the candidates instead


def find_importers(files: list[str], resolver: "Resolver", skip: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """For each of ``files``, the project files that import it (real paths in ``skip`` left out).

    Inside a git work tree, ``git grep`` picks the files whose import lines name the files' modules
    (when they are few: a hook's staged files); otherwise every Python file of the project not in
    ``skip`` is a candidate, and only their import lines are read. The imports are then resolved.
    """
    return start_finding_importers(files, resolver)(skip)


def start_finding_importers(files: list[str], resolver: "Resolver"
                            ) -> "Callable[..., dict[str, list[str]]]":
    """``find_importers``, begun: its ``git grep`` runs while the caller goes on (checks the files);
    calling the result with ``skip`` finishes it."""
    from . import gitfiles

    by_root: dict[str, list[str]] = {}
    roots: dict[str, str] = {}  # folder -> its search root (files of one folder share it)
    for path in files:
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in roots:
            roots[folder] = str(search_root(path))
        by_root.setdefault(roots[folder], []).append(path)
    greps = {}
    for root, members in by_root.items():
        words = sorted({_module_word(os.path.realpath(p)) for p in members})
        greps[root] = gitfiles.start_files_importing(root, words) if len(words) <= GREP_WORDS else lambda: None

    def finish(skip: frozenset[str] = frozenset(), cache_folder: "Callable[[Settings], str | None]" = lambda s: None
               ) -> dict[str, list[str]]:
        """``cache_folder(settings)``: the cache folder whose ``imports.json`` keeps the files' import lines."""
        from .discovery import discover, kept
        from .project import Project

        found: dict[str, list[str]] = {}
        for root, members in by_root.items():
            settings = resolver.for_path(root)
            listed = greps[root]()
            candidates = discover([root], settings).files if listed is None else kept(listed, root, settings)
            candidates = [c for c in candidates if os.path.realpath(c) not in skip]
            if not candidates:
                continue
            folder = cache_folder(settings)
            known = ImportLines(folder) if folder is not None else None
            index = ReverseIndex(Project(settings), candidates, known)
            for path in members:
                found[path] = index.importers(path)
            if known is not None:
                known.save()
        return found

    return finish


def search_root(path: str) -> Path:
    """Where the importers of ``path`` are looked for: the project root (pyproject.toml, .git, ...), and at
    least the folder above the file's top-level package (where ``python train.py`` would import it from)."""
    from .project import find_root

    here = Path(os.path.abspath(path)).parent
    top = here
    while (top / "__init__.py").is_file() and top.parent != top:
        top = top.parent
    root = find_root(here)
    return top if len(root.parts) > len(top.parts) else root
