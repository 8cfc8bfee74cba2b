"""What each file's lookups read of other files, and so what a result computed from them depends on.

Two kinds of reading. A lookup that resolves an import, parses a file or reads its project-index facts reads
that file whole: ``edges`` (from the file whose analysis looked, to the file looked at); any change to it
counts. A search through a folder (``files_mentioning``) reads most files only to ask their text a question
(``text_questions``): ``searched``, with every question the run asked of each file in ``asked``; such a file
is depended on by its answers alone. A file the search finds is handed to its caller, which reads it whole
(an edge) unless it says it will record what it reads of it (``calling_files``).
"""
from __future__ import annotations

import os
from typing import Any, NamedTuple


class Dependencies(NamedTuple):
    """What a result depends on besides its own file (``DependencyLog.record``)."""

    files: list[str]  # every file or folder read whole: any change counts
    searched: dict[str, list]  # file -> [kind, argument, answer] asked of its text (``text_questions``): only a
    #                            change of an answer counts


class DependencyLog:
    """The reading done by one process's lookups (``Project.log``)."""

    def __init__(self) -> None:
        self.edges: dict[str, set[str]] = {}  # file -> the files and folders its lookups read whole
        self.searched: dict[str, set[str]] = {}  # file -> the files its searches asked questions of
        self.asked: dict[str, dict[tuple[str, str], Any]] = {}  # file -> question -> its answer (this run)
        self.unaskable: set[str] = set()  # files asked a question that cannot be asked again: read whole
        self.indexed: dict[str, dict[str, list]] = {}  # file -> what its index entry was asked of files it searched
        self._listed: dict[str, tuple[int, list]] = {}  # file -> (how many, its questions as ``record`` gives them)

    def ask(self, key: str, question: "tuple[str, str] | None", answer: Any) -> None:
        """Record that the text of ``key`` gave ``answer`` to ``question`` (None: one that cannot be asked again)."""
        if question is None:
            self.unaskable.add(key)
        else:
            self.asked.setdefault(key, {})[question] = answer

    def search(self, start: str, listed: set[str], files: list[str], whole: "list[str] | tuple" = ()) -> None:
        """Record a search from ``start`` through ``files``, listed from the folders in ``listed``: those in
        ``whole`` were read whole, the others asked questions."""
        self.edges.setdefault(start, set()).update(listed.difference(files), whole)
        self.searched.setdefault(start, set()).update(files)

    def read_whole(self, start: str, path: str) -> None:
        """Record that a lookup from ``start`` read the file at ``path`` whole."""
        self.edges.setdefault(os.path.abspath(start), set()).add(os.path.abspath(path))

    def record(self, path: str) -> Dependencies:
        """What the result for ``path`` depends on: the closure of what was read whole from it, and the questions
        asked of every other file its searches, or those of the files it reached, listed."""
        start = os.path.abspath(path)
        seen = {start}
        todo = [start]
        questioned: set[str] = set()
        while todo:
            node = todo.pop()
            searched = self.searched.get(node)
            whole = self.edges.get(node, ())
            if searched:
                questioned |= searched
                if not self.unaskable.isdisjoint(searched):
                    whole = [*whole, *self.unaskable.intersection(searched)]
            questioned.update(self.indexed.get(node, ()))
            for other in whole:
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        questioned -= seen
        recorded = [self.indexed[node] for node in seen.intersection(self.indexed)]
        searched_deps = {}
        for other in sorted(questioned):
            questions = self._questions(other, recorded)
            if questions:
                searched_deps[other] = questions
        seen.discard(start)
        return Dependencies(sorted(seen), searched_deps)

    def _questions(self, path: str, recorded: list[dict[str, list]]) -> list:
        """The questions asked of ``path`` with their answers: this run's, and those index entries ``recorded``."""
        asked = self.asked.get(path, {})
        held = self._listed.get(path)
        if held is None or held[0] != len(asked):
            held = self._listed[path] = (len(asked), sorted([*question, answer] for question, answer in asked.items()))
        from_index = [by_file[path] for by_file in recorded if path in by_file]
        if not from_index:
            return held[1]
        merged = {tuple(q[:2]): q[2] for questions in from_index for q in questions}
        merged.update(asked)
        return sorted([*question, answer] for question, answer in merged.items())

    def from_index(self, key: str, deps: Dependencies) -> None:
        """Take in what the index entry of ``key`` depends on: its answers are now this run's."""
        self.edges.setdefault(key, set()).update(deps.files)
        if deps.searched:
            held = self.indexed.setdefault(key, {})
            for other, questions in deps.searched.items():
                held[other] = [*held.get(other, []), *questions]
