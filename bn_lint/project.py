"""The project around the checked files: other modules, loaded on demand.

Rules that need facts from other files (is ``Net`` from ``models.py`` a
BatchNorm model?) ask the project, which parses and models each file at most
once per run, and keeps the answers in the cache's project index for later
runs (``indexed``, ``save_index``).
"""
from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import libcst as cst

from .dependency_log import DependencyLog
from .parsing import MAX_CHARS, syntax_error
from .repository_search import files_mentioning, first_module, found_elsewhere
from bn_lint.semantic.file.not_indexed import NOT_INDEXED
from .source import UnreadableSource, read_bytes, read_source
from .text_questions import TextNames, bodies_digest, function_bodies, names_digest, pattern_question, text_names

if TYPE_CHECKING:  # pragma: no cover
    from .cache import Cache
    from .config import Settings
    from bn_lint.semantic.file.model import FileModel

# models of project files kept in memory between checked files, the least recently used dropped first
# (``Project.trim``): at most this many, holding at most MODEL_CHARS characters of source (a model with
# its syntax tree costs ~40 bytes a character before any analysis; generated files run to megabytes)
MODEL_LIMIT = 200
MODEL_CHARS = 4_000_000
TEXT_MEMO_LIMIT = 100_000  # answers about files' text kept (``Project._text_names``, ``_matches``)
_ROOT_MARKERS = ("pyproject.toml", ".git", "setup.py", "setup.cfg")


def find_root(path: str | Path) -> Path:
    """The nearest directory above ``path`` holding a pyproject.toml, .git, or setup file."""
    start = Path(path).resolve()
    if not start.is_dir():
        start = start.parent
    for directory in (start, *start.parents):
        if any((directory / marker).exists() for marker in _ROOT_MARKERS):
            return directory
    return start


class Project:
    """Lazily loaded models of the project's files, shared within one process."""

    def __init__(self, settings: "Settings | None" = None, index: "Cache | None" = None) -> None:
        self.settings = settings
        self.index = index  # the cache holding the project index, if the cache is on
        self._models: dict[str, "FileModel | None"] = {}
        # answers read from files' text without a parse (``_text_names``, ``_matches``)
        self._names_of: dict[str, TextNames] = {}
        self._matched: dict[tuple[str, bytes], bool] = {}
        self._resolved: dict[tuple[str, str, tuple[str, ...]], tuple[str | None, set[str]]] = {}  # (module, folder, sys.path) -> file
        self._imported_files: dict[str, list[str]] = {}  # file -> the project files its import lines name (``imported_files``)
        self._roots: dict[str, Path] = {}
        # (root, patterns) -> the first file of the repository matching them, and the files read to find it
        self.first_matching: dict[tuple[str, tuple[bytes, ...]], tuple[str | None, list[str]]] = {}
        # what the lookups from each file read: whole (``edges``, the same dict as ``log.edges``), or only asked
        # questions of (``log.searched``); ``log.record`` gives what a result depends on (the result cache uses it)
        self.log = DependencyLog()
        self.edges = self.log.edges
        self._indexed: dict[str, dict[str, dict[str, Any]] | None] = {}  # file -> its answers from the index
        self._saved: dict[str, int] = {}  # file -> how many answers about it this run has saved
        self.registries: dict[tuple[str, str], list | None] = {}  # (file, registry name) -> its entries
        self.search_folders: dict[str, tuple[str, ...]] = {}  # file -> the folders it adds to sys.path
        self.module_folders: dict[str, dict[str, list[str]]] = {}  # root -> ``module_bases``'s names -> folders

    def root_for(self, path: str) -> Path:
        """The repository of ``path``: the nearest folder above it with a root marker, else the folder bn-lint
        runs from (its settings' root) when ``path`` is under it, else ``path``'s own folder."""
        directory = os.path.dirname(os.path.abspath(path))
        root = self._roots.get(directory)
        if root is None:
            root = find_root(directory)
            top = getattr(self.settings, "root", None)
            top = Path(top).resolve() if top else None
            if top is not None and top in root.parents and not any((root / m).exists() for m in _ROOT_MARKERS):
                root = top
            self._roots[directory] = root
        return root

    def resolve_module(self, dotted: str, from_path: str) -> str | None:
        """The file of module ``dotted`` (absolute or relative, e.g. ``..models``) seen from ``from_path``."""
        absolute = _absolute(from_path)
        looked = self.edges.setdefault(absolute, set())
        memo = (dotted, os.path.dirname(absolute), self.search_folders.get(absolute, ()))
        if memo in self._resolved:
            found, paths = self._resolved[memo]
            looked.update(paths)
            return found
        seen: set[str] = set()
        found = self._resolve(dotted, from_path, seen)
        self._resolved[memo] = (found, seen)
        looked.update(seen)
        return found

    def _resolve(self, dotted: str, from_path: str, looked: set[str]) -> str | None:
        level = len(dotted) - len(dotted.lstrip("."))
        name = dotted[level:]
        candidates: list[Path] = []
        here = Path(os.path.abspath(from_path)).parent
        if level:
            candidates.append(here if level == 1 else here.parents[level - 2] if level - 2 < len(here.parents) else Path(here.anchor))
        else:
            # the file's folder (a script's siblings), the folder above its top-level package (where
            # `python train.py` puts `config.py` on the path), the one above it, the project root
            top = here
            while (top / "__init__.py").is_file() and top.parent != top:
                top = top.parent
            root = self.root_for(from_path)
            added = [Path(folder) for folder in self.search_folders.get(os.path.abspath(from_path), ())]
            # (then each folder between the file and the project root: a script two folders down run from the
            # root, `sys.path.append(os.getcwd())` then `from utils.model_gen import ...`)
            between = [folder for folder in here.parents if root in folder.parents] if root in here.parents else []
            candidates.extend(dict.fromkeys([here, top, here.parent, root, root / "src", *added, *between]))
        parts = name.split(".") if name else []
        found = first_module(candidates, parts, looked)
        if found is None and not level and parts:
            found = found_elsewhere(self, from_path, parts, looked)
        if found is None and not level and len(parts) > 1:
            # `from TTS.layers.net import X` in a repository that is itself the package `TTS` (its folder,
            # named otherwise when cloned, holds `__init__.py` and is installed by no file beside it)
            package = _repository_package(here, looked)
            if package is not None and package.name != parts[0]:
                found = first_module([package], parts[1:], looked)
        return found

    def model(self, path: str) -> "FileModel | None":
        """The semantic model of another project file, or None if it cannot be parsed."""
        key = os.path.abspath(path)
        if key in self._models:
            found = self._models[key] = self._models.pop(key)  # (now the most recently used)
            return found
        self._models[key] = None  # guards import cycles
        from bn_lint.semantic.file.model import FileModel
        from bn_lint.semantic.syntax.quick_tree import file_tree

        try:
            source = read_source(key)
            if len(source.text) > MAX_CHARS or "\x00" in source.text or syntax_error(source.text, tree_later=True) is not None:
                return None
            module, spans = file_tree(source.text)
        except (UnreadableSource, cst.ParserSyntaxError, SyntaxError, RecursionError, ValueError):
            return None
        model = FileModel(key, source.text, module, self.settings, self, spans)
        self._models[key] = model
        return model

    def loaded(self, path: str, text: str) -> "FileModel | None":
        """The model of ``path`` parsed for a lookup already, if it was parsed from ``text``."""
        model = self._models.get(os.path.abspath(path))
        return model if model is not None and model.source == text else None

    def matches(self, path: str, pattern: bytes) -> bool:
        """Whether the file's text matches ``pattern`` (a regex of bytes; checked before any parse)."""
        return self._matches(os.path.abspath(path), pattern)

    def may_define(self, path: str, keyword: str, name: str) -> bool:
        """Whether the file's text holds ``class name`` / ``def name`` (checked before any parse)."""
        if not name.isascii():
            return True  # (the file's bytes may spell it in another encoding: parse and see)
        key = os.path.abspath(path)
        if key in self._models:
            model = self._models[key]
            return model is not None and name in (model.classes if keyword == "class" else model.functions)
        found = self._text_names(key)
        return name in (found.classes if keyword == "class" else found.functions)

    def mentions(self, path: str, word: str) -> bool:
        """Whether the file's text holds ``word`` (checked before any parse)."""
        key = os.path.abspath(path)
        if self._models.get(key) is not None:
            found = word in self._models[key].source
            self.log.ask(key, pattern_question(re.escape(word.encode())), found)
            return found
        return self._matches(key, re.escape(word.encode()))

    def calls_name(self, path: str, name: str) -> bool:
        """Whether the file's text calls ``name`` (``test(``, ``utils.test(``; not ``range_test(``), checked before
        any parse."""
        key = os.path.abspath(path)
        pattern = r"(?<!\w)" + re.escape(name) + r"\s*\("
        if self._models.get(key) is not None:
            found = re.search(pattern, self._models[key].source) is not None
            self.log.ask(key, pattern_question(pattern.encode()), found)
            return found
        return self._matches(key, pattern.encode())

    def mentioned_beside(self, path: str, word: str) -> bool:
        """Whether another ``.py`` file of ``path``'s folder, or of the folder above when it is a package,
        holds ``word`` and imports ``path``'s module (a helper of this file that it may call; a folder of
        unrelated scripts that each define their own ``conv`` does not count)."""
        here = os.path.dirname(os.path.abspath(path))
        folders = [here, os.path.dirname(here)] if os.path.isfile(os.path.join(here, "__init__.py")) else [here]
        return any(_imports_module(other, path) for folder in folders
                   for other in files_mentioning(self, path, folder, word, recursive=False))

    def _text_names(self, key: str) -> "TextNames":
        """What the file's text names, read once per file without parsing it (a deep class lookup asks
        the same big files again and again)."""
        found = self._names_of.get(key)
        if found is None:
            if len(self._names_of) >= TEXT_MEMO_LIMIT:
                self._names_of.clear()
            found = self._names_of[key] = text_names(_read(key) or b"")
            self.log.ask(key, ("names", ""), names_digest(found))
        return found

    def _matches(self, key: str, pattern: bytes) -> bool:
        """``_text_matches``, answered once per file and pattern."""
        memo = (key, pattern)
        found = self._matched.get(memo)
        if found is None:
            if len(self._matched) >= TEXT_MEMO_LIMIT:
                self._matched.clear()
            found = self._matched[memo] = _text_matches(key, pattern)
            self.log.ask(key, pattern_question(pattern), found)
        return found

    def names_in_text(self, path: str) -> tuple[frozenset[str], frozenset[str]]:
        """The names the file's text defines (``def name``, not ``obj.def``) and assigns on ``self``
        (``self.name =``), read once per file without parsing it."""
        found = self._text_names(os.path.abspath(path))
        return found.defined, found.self_assigned

    def batchnorm_aliases(self, path: str) -> frozenset[str]:
        """The names a line of the file's text binds to a BatchNorm layer (``Norm = partial(nn.BatchNorm2d)``)."""
        return self._text_names(os.path.abspath(path)).batchnorm_aliases

    def function_bodies(self, path: str, name: str) -> list[str] | None:
        """The text of every ``def name(`` in the file (its indented block), read without parsing it;
        None when the file cannot be read or ``name`` is not ASCII."""
        data = _read(os.path.abspath(path)) if name.isascii() else None
        if data is None:
            self.log.ask(os.path.abspath(path), None, None)  # (no answer to ask again: depended on whole)
            return None
        bodies = function_bodies(data.decode("utf-8", "replace"), name)
        self.log.ask(os.path.abspath(path), ("bodies", name), bodies_digest(bodies))
        return list(bodies)

    def may_define_method(self, path: str, method: str) -> bool:
        """Whether the file's text holds ``def method(cls`` (a classmethod, checked before any parse)."""
        if not method.isascii():
            return True
        return self._matches(os.path.abspath(path), rb"def\s+" + re.escape(method.encode()) + rb"\s*\(\s*cls\b")

    def may_assign(self, path: str, name: str) -> bool:
        """Whether the file's text has a line starting ``name =`` (checked before any parse)."""
        if not name.isascii():
            return True
        key = os.path.abspath(path)
        if self._models.get(key) is not None:
            return name in self._models[key].module_scope.bindings
        return name in self._text_names(key).line_assigned

    def plain_class(self, path: str, name: str) -> bool:
        """Whether the file defines class ``name`` once, at the top level, without bases or keywords
        (``class Name:``, ``class Name(object):``), as far as its text shows (checked before any parse)."""
        if not name.isascii():
            return False
        key = os.path.abspath(path)
        if key in self._models:
            return False  # parsed already: the model answers as cheaply
        data = _read(key)
        if data is None:
            return False
        headers = re.findall(rb"(?m)^class[ \t]+" + re.escape(name.encode()) + rb"(?![\w\x80-\xff])[^\n]*", data)
        return len(headers) == 1 and re.match(
            rb"class[ \t]+\w+[ \t]*(?:\([ \t]*(?:object[ \t]*)?\))?[ \t]*:", headers[0]) is not None

    def dependencies(self, path: str) -> list[str]:
        """Every other file the result for ``path`` may depend on, whole or by its answers, sorted."""
        files, searched = self.log.record(path)
        return sorted({*files, *searched})

    def add(self, model: "FileModel") -> None:
        key = os.path.abspath(model.path)
        self._models.pop(key, None)
        self._models[key] = model  # (the most recently used)

    def trim(self) -> None:
        """Between two checked files: drop the least recently used models (their answers saved to the index
        first) until at most ``MODEL_LIMIT`` of ``MODEL_CHARS`` characters are left, so memory does not grow
        with the files checked; a later lookup parses the file again (or reads the index)."""
        held = sum(len(model.source) for model in self._models.values() if model is not None)
        if len(self._models) > MODEL_LIMIT or held > MODEL_CHARS:
            self.save_index()  # (the answers the models to be dropped worked out)
        dropped: set[str] = set()
        while self._models and (len(self._models) > MODEL_LIMIT or held > MODEL_CHARS):
            key = next(iter(self._models))
            model = self._models.pop(key)
            if model is not None:
                held -= len(model.source)
                dropped.add(model.path)
        if dropped:  # (registry answers that hold a dropped model go with it)
            self.registries = {key: entries for key, entries in self.registries.items() if key[0] not in dropped
                               and not any(other.path in dropped for other, _ in entries or ())}

    # ------------------------------------------------------------ the index
    def indexed(self, path: str, table: str, name: str) -> Any:
        """What the project index holds about ``name`` of project file ``path`` in ``table`` (``NOT_INDEXED``
        if nothing, or the file is parsed in this run already: its model answers then).

        A hit also records the files the answers depend on as looked at from ``path``, so the result
        cache of a file that asked still sees every file its findings depend on.
        """
        key = os.path.abspath(path)
        if self._models.get(key) is not None:
            return NOT_INDEXED
        if key not in self._indexed:
            entry = self.index.get_index(key) if self.index is not None else None
            self._indexed[key] = entry[0] if entry is not None else None
            if entry is not None:
                self.log.from_index(key, entry[1])
        facts = self._indexed[key]
        return facts.get(table, {}).get(name, NOT_INDEXED) if facts is not None else NOT_INDEXED

    def save_index(self, being_edited: "frozenset[str]" = frozenset()) -> None:
        """Write the answers worked out about project files since the last save. Of the files in
        ``being_edited`` (absolute paths), those left to be worked out when saved (a function's ``inert``, which
        asks what it returns) are left out: in an editor's or a pre-commit check of a few files the next edit
        makes them stale, and a later lookup works them out if it asks."""
        if self.index is None:
            return
        for key, model in list(self._models.items()):
            if model is None:
                continue
            known = self._indexed.get(key) or {}  # (read from its entry this run: still true, not worked out again)
            facts: dict[str, dict[str, Any]] = {table: dict(names) for table, names in known.items()}
            count = 0
            for (table, name), fact in list(model.index_facts.items()):
                if name not in known.get(table, ()) and not (callable(fact) and key in being_edited):
                    facts.setdefault(table, {})[name] = fact() if callable(fact) else fact  # (some are worked out here)
                    count += 1
            if count <= self._saved.get(key, 0):
                continue
            self.index.put_index(key, facts, self.log.record(key))
            self._saved[key] = count


def _absolute(path: str) -> str:
    """``os.path.abspath(path)``, asked for every import of every file: worked out once per path and folder."""
    return _absolute_from(path, os.getcwd())


@functools.lru_cache(maxsize=4096)
def _absolute_from(path: str, folder: str) -> str:
    return os.path.abspath(path)  # (``folder``, the working folder, is part of the key: a test may change it)


def _repository_package(here: Path, looked: set[str]) -> Path | None:
    """The top-level package around the folder ``here`` when it is a repository of its own: the highest
    folder of the chain of ``__init__.py`` folders, with no setup file beside it (a package installed from
    its parent folder is imported by its folder's name); None when ``here`` is no package."""
    if not (here / "__init__.py").is_file():
        return None
    top = here
    while (top.parent / "__init__.py").is_file() and top.parent.parent != top.parent:
        top = top.parent
    markers = [top.parent / marker for marker in _ROOT_MARKERS]
    looked.update(os.path.abspath(marker) for marker in markers)
    return None if any(marker.exists() for marker in markers) else top


def _imports_module(path: str, module_path: str) -> bool:
    """Whether the import statements of the file at ``path`` name the module of ``module_path``."""
    from .import_lines import imported_modules

    stem = os.path.splitext(os.path.basename(module_path))[0]
    module = os.path.basename(os.path.dirname(os.path.abspath(module_path))) if stem == "__init__" else stem
    return any(part == module for name in imported_modules(_read(path) or b"") for part in name.split("."))


def _text_matches(path: str, pattern: bytes) -> bool:
    """Whether the file's bytes match ``pattern`` (False when it cannot be read)."""
    data = _read(path)
    return data is not None and re.search(pattern, data) is not None


def _read(path: str) -> bytes | None:
    try:
        return read_bytes(path)  # (stat first: never a FIFO, a device or a huge file)
    except UnreadableSource:
        return None
