"""The language server's project: the open buffers over the files on disk, and forgetting what an edit made stale.

``bn-lint check`` builds a ``Project`` per run; the server keeps one per settings file warm between
edits. Two things differ from a run:

- an open document's unsaved text is what another file's lookups must see (``model``);
- an edit makes stale the model of the edited file and of every file whose lookups reached it (their
  analyses hold facts about the old text): ``forget`` drops them, found through ``Project.dependencies``
  (the same closure of lookups the result cache relies on).

What a project answers from a file's text without parsing it (``matches``, ``function_bodies``,
``names_in_text``) is still read from disk for an open document whose model is not loaded; the
server keeps every open document's model loaded, so this touches only the text-only questions.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable

from .parsing import MAX_CHARS, syntax_error
from .project import Project

if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings
    from bn_lint.semantic.file.model import FileModel


class BufferProject(Project):
    """A ``Project`` whose files are read from ``buffers`` (absolute path -> text) where a document is open."""

    def __init__(self, settings: "Settings", buffers: dict[str, str]) -> None:
        super().__init__(settings)
        self.buffers = buffers  # (shared with the workspace, written by its checking thread only)

    def model(self, path: str) -> "FileModel | None":
        key = os.path.abspath(path)
        text = self.buffers.get(key)
        if text is None or key in self._models or key.endswith(".ipynb"):
            return super().model(path)
        import libcst as cst

        from bn_lint.semantic.file.model import FileModel
        from bn_lint.semantic.syntax.quick_tree import file_tree

        self._models[key] = None  # guards import cycles, as Project.model
        try:
            if len(text) > MAX_CHARS or "\x00" in text or syntax_error(text, tree_later=True) is not None:
                return None
            module, spans = file_tree(text)
        except (cst.ParserSyntaxError, SyntaxError, RecursionError, ValueError):
            return None
        model = FileModel(key, text, module, self.settings, self, spans)
        self._models[key] = model
        return model

    def forget(self, paths: Iterable[str]) -> set[str]:
        """Drop the models of ``paths`` (their text changed) and of every file whose lookups reached one of
        them; the absolute paths dropped."""
        changed = {os.path.abspath(p) for p in paths}
        if not changed:
            return set()
        dropped = {key for key in list(self._models)
                   if key in changed or not changed.isdisjoint(self.dependencies(key))}
        for key in dropped:
            self._models.pop(key, None)
        dropped |= changed
        for key in changed:
            self._names_of.pop(key, None)
            self._imported_files.pop(key, None)
        self._matched = {memo: found for memo, found in self._matched.items() if memo[0] not in changed}
        self.registries = {key: entries for key, entries in self.registries.items()
                           if os.path.abspath(key[0]) not in dropped
                           and not any(os.path.abspath(other.path) in dropped for other, _ in entries or ())}
        return dropped

    def forget_resolutions(self) -> None:
        """A file was created or deleted: module names may resolve elsewhere now."""
        self._resolved.clear()
        self._imported_files.clear()
        self._roots.clear()
