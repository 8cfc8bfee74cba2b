"""What the language server knows: the open buffers, a warm checker per settings file, and the findings
each checked file gave in every file (its own and, for a caller, in the helpers it calls).

A check of a document is the check ``bn-lint check`` runs on it: the file itself with every selected
rule, then its importers (the project files that import it: ``importers.find_importers``, as
``session.from_importers``) with the rules that can report in another file, keeping what they find
in the open documents. An open importer is checked with all its rules (its own diagnostics may
change with the helper's text). Every method here runs on the server's one checking thread.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable, Iterable

from .config import find_config, load_config
from .engine import Checker
from .finding import Finding
from .notebook import NOTEBOOK_SUFFIX
from .server_project import BufferProject
from .session import one_per_defect
from .source import SourceText

log = logging.getLogger("bn_lint.server")


class _Checkers:
    """The checkers of one settings file: all selected rules, and the cross-file ones only (for
    importers that are not open), sharing one warm project."""

    def __init__(self, config: Path | None, buffers: dict[str, str]) -> None:
        from .session import cross_file_only

        settings = load_config(config)
        self.project = BufferProject(settings, buffers)
        self.full = Checker(settings, self.project, exact=False)  # (diagnostics: no libcst parse, no fixes)
        self.exact = Checker(settings, self.project)  # (fixes, when a code action asks for them)
        narrowed = cross_file_only(settings)
        self.cross = Checker(narrowed, self.project, exact=False) if narrowed is not None else None


class Workspace:
    """Checks documents with their importers; ``findings`` holds, per checked file (absolute path), its
    findings by the file they are in."""

    def __init__(self) -> None:
        self.buffers: dict[str, str] = {}  # absolute path -> text of each open document
        self._checkers: dict[str, _Checkers] = {}
        self._config_of: dict[str, str] = {}  # folder -> its config key
        self.results: dict[str, dict[str, list[Finding]]] = {}  # checked file -> file -> findings
        self._importers: dict[str, list[str]] = {}  # file -> its importers (absolute), found once
        self._imports: dict[str, frozenset[str]] = {}  # open file -> the modules its text imports
        self._resolver = None

    # ----------------------------------------------------------------- checkers
    def checkers_for(self, path: str) -> _Checkers:
        folder = os.path.dirname(os.path.abspath(path))
        key = self._config_of.get(folder)
        if key is None:
            config = find_config(Path(folder))
            key = self._config_of[folder] = str(config) if config else ""
        if key not in self._checkers:
            self._checkers[key] = _Checkers(Path(key) if key else None, self.buffers)
        return self._checkers[key]

    def checker_for(self, path: str) -> Checker:
        return self.checkers_for(path).full

    # ------------------------------------------------------------------ checks
    def check(self, uri: str, text: str) -> list[Finding]:
        """Check one buffer (with its importers); its findings (the API the benchmarks and tests time)."""
        from pygls.uris import to_fs_path

        path = os.path.abspath(to_fs_path(uri) or uri)
        self.run({path: text})
        return self.findings_in(path)

    def run(self, texts: dict[str, str | None], cancelled: Callable[[], bool] = lambda: False) -> set[str]:
        """Take the new ``texts`` of documents (None: closed, read from disk again) and check them, their
        importers and the open documents whose lookups reached them; the files whose findings may have
        changed. Stops early (a partial answer) when ``cancelled()`` says newer texts are waiting."""
        changed = {os.path.abspath(p): t for p, t in texts.items()}
        for path, text in changed.items():
            if text is None:
                self.buffers.pop(path, None)
                self._imports.pop(path, None)
            else:
                self._note_imports(path, text)
                self.buffers[path] = text
        stale: set[str] = set()
        for checkers in list(self._checkers.values()):
            stale |= checkers.project.forget(changed)
        todo = [p for p in changed if p in self.buffers]
        for path in changed:
            if not path.endswith(NOTEBOOK_SUFFIX):  # (no file imports a notebook)
                todo += [i for i in self.importers_of(path) if i not in todo]
        todo += sorted(p for p in stale if p in self.buffers and p not in todo)
        affected: set[str] = set()
        for path, text in changed.items():
            if text is None:
                affected |= set(self.results.pop(path, {}))
        for path in todo:
            if cancelled():
                log.debug("check of %s cancelled: newer text waiting", path)
                break
            affected |= self._check_file(path)
        for checkers in self._checkers.values():
            checkers.project.trim()
        return affected

    def files_changed_on_disk(self, paths: Iterable[str], created_or_deleted: bool = False) -> set[str]:
        """Saved or changed files (not open): forget them, and check the open documents they reach (every
        open document when a ``pyproject.toml`` changed: the settings are read again)."""
        paths = {os.path.abspath(p) for p in paths}
        if any(os.path.basename(p) == "pyproject.toml" for p in paths):
            self._checkers.clear()
            self._config_of.clear()
            self._importers.clear()
            self._resolver = None
            affected = {target for found in self.results.values() for target in found}
            self.results.clear()
            return affected | self.run(dict(self.buffers))
        paths -= set(self.buffers)  # (an open document's text is the editor's)
        self._importers.clear()  # (a file's imports may have changed)
        stale: set[str] = set()
        for checkers in self._checkers.values():
            if created_or_deleted:
                checkers.project.forget_resolutions()
            stale |= checkers.project.forget(paths)
        # the changed files that reported in open documents, the files importing an open document now,
        # and the open documents whose lookups reached a changed file
        todo = sorted(p for p in paths if p in self.results)
        for document in sorted(self.buffers):
            if not document.endswith(NOTEBOOK_SUFFIX):
                todo += [i for i in self.importers_of(document) if i in paths and i not in todo]
        todo += sorted(p for p in stale if p in self.buffers and p not in todo)
        affected: set[str] = set()
        for path in todo:
            affected |= self._check_file(path)
        return affected

    def _check_file(self, path: str) -> set[str]:
        """Check ``path`` (its buffer if open, else the file with the cross-file rules); the files whose
        findings from it may have changed."""
        checkers = self.checkers_for(path)
        is_open = path in self.buffers
        checker = checkers.full if is_open else checkers.cross
        found: dict[str, list[Finding]] = {}
        if checker is not None:
            if not is_open:
                result = checker.check_path(path)
            elif path.endswith(NOTEBOOK_SUFFIX):
                result = checker.check_bytes(path, self.buffers[path].encode("utf-8"))
            else:
                result = checker.check_source(path, SourceText(self.buffers[path], "utf-8"))
            for error in result.errors:
                log.error("%s", error)
            for finding in result.findings:
                target = os.path.abspath(finding.path)
                if is_open or target != path:
                    found.setdefault(target, []).append(finding)
        before = self.results.get(path, {})
        self.results[path] = found
        return set(before) | set(found)

    def fixes_in(self, path: str, text: str) -> list[Finding]:
        """The findings of an open buffer with their fixes: its check on libcst's own tree (asked for by a code
        action; run on the checking thread, as every check is)."""
        path = os.path.abspath(path)
        checker = self.checkers_for(path).exact
        if path.endswith(NOTEBOOK_SUFFIX):
            result = checker.check_bytes(path, text.encode("utf-8"))
        else:
            result = checker.check_source(path, SourceText(text, "utf-8"))
        return [f for f in result.findings if os.path.abspath(f.path) == path and f.fix is not None]

    def findings_in(self, path: str) -> list[Finding]:
        """Every finding in ``path``: its own check's first (they carry the fixes), then what other
        files' checks found in it, each once."""
        path = os.path.abspath(path)
        seen: set[tuple] = set()
        out = []
        sources = [path] + sorted(s for s in list(self.results) if s != path)  # (list: one step under the GIL)
        for source in sources:
            for finding in self.results.get(source, {}).get(path, ()):
                key = (finding.code, finding.cell, finding.line, finding.column, finding.message)
                if key not in seen:
                    seen.add(key)
                    out.append(finding)
        return one_per_defect(sorted(out, key=lambda f: f.sort_key))

    # --------------------------------------------------------------- importers
    def importers_of(self, path: str) -> list[str]:
        """The project files importing ``path`` (absolute), as ``bn-lint check`` finds them; found once,
        again when a file's imports change."""
        found = self._importers.get(path)
        if found is None:
            from .importers import find_importers
            from .resolve import Overrides, Resolver

            if self._resolver is None:
                self._resolver = Resolver(Overrides())
            try:
                by_file = find_importers([path], self._resolver)
            except Exception as error:  # (a settings error, an unreadable folder): no importers, logged
                log.warning("importers of %s not found: %s", path, error)
                by_file = {}
            found = self._importers[path] = [os.path.abspath(p) for p in by_file.get(path, [])]
        return found

    def _note_imports(self, path: str, text: str) -> None:
        """An open document whose import lines change may import other files now: importers found again."""
        from .import_lines import imported_modules

        modules = frozenset(imported_modules(text.encode("utf-8", "surrogatepass")))
        if self._imports.get(path, modules) != modules:
            self._importers.clear()
            for checkers in self._checkers.values():
                checkers.project.forget_resolutions()
        self._imports[path] = modules
