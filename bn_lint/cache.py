"""A content-hash cache in ``.bn_lint_cache/``: per-file results, and the project index.

An entry is keyed by the file's path and content, the settings that change
findings, the selected rules, the bn-lint version and source, and the Python
version. It holds the findings, the internal errors, and the content hashes of
the other project files its check may depend on (the closure of its import lookups,
found or not: see ``Project.dependencies``); a lookup is a
hit only while those files are unchanged. Each hash is stored with the file's size
and modification time, so a later run reads only the files whose size or time
changed (``Cache.unchanged``; a file changed within two seconds of the write is
always read again). Entries are written atomically
(temporary file + ``os.replace``), so concurrent runs can share the directory;
an unreadable or corrupt entry is a miss.

The project index (``index/``) holds, per project file looked up from a checked
one, the answers worked out about it (``Project.indexed``: which of its classes
carry BatchNorm, which of its functions build one layer or train a parameter,
its constants), with the content hashes of that file and of every file the
answers may depend on (recorded as above). A later run that checks a file importing it reads the
answers instead of parsing it, and the files it imports, again: what makes a
one-file check of a transformers model fast once the project has been checked.
"""
from __future__ import annotations

import json
import os
import re
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

try:  # the blake2 module alone: ``hashlib`` loads OpenSSL, a measurable part of a one-file run
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

from . import __version__, atomic
from .codes import KNOWN_CODES
from .config import Settings
from .dependency_log import Dependencies
from .finding import Finding

DEFAULT_DIR = ".bn_lint_cache"
_FORMAT = 8  # (4: entries carry a checksum; 5: files that do not exist recorded by folder, "absent";
#              6: dependency records shared by the entries that have the same, in ``deps/``; 7: "deps" by folder;
#              8: files only asked questions of, "searched")
_INLINE = 1024  # bytes: a dependency record smaller than this is kept in its entry (it fits its disk block)
_RACY_NS = 2_000_000_000  # (``Cache.fingerprint``)


@lru_cache(maxsize=1)
def _package_fingerprint() -> str:
    """Size and mtime of bn-lint's own modules: edited rules invalidate the cache without a version bump
    (worked out once per process)."""
    root = os.path.dirname(os.path.abspath(__file__))
    parts = []
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if f != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except OSError:  # pragma: no cover
                    continue
                parts.append(f"{os.path.relpath(path, root)}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(parts)


def digest(data: bytes) -> str:
    return blake2b(data, digest_size=20).hexdigest()


class Cache:
    """Findings per (file, content, configuration); safe to share between processes."""

    def __init__(self, directory: str | os.PathLike, settings: Settings) -> None:
        self.directory = Path(directory)
        selected = sorted(code for code in KNOWN_CODES if settings.is_selected(code))
        salt = "\0".join(
            [
                str(_FORMAT),
                __version__,
                sys.version,
                settings.cache_key(),
                ",".join(selected),
                str(settings.root),
                _package_fingerprint(),
            ]
        )
        self.salt = digest(salt.encode())
        self._hashes: dict[str, str | None] = {}  # dependency path -> content hash, once per run
        self._stats: dict[str, os.stat_result | None] = {}  # dependency path -> its stat, once per run
        self._lstats: dict[str, os.stat_result | None] = {}  # path -> its lstat (None: missing), once per run
        self._started = time.time_ns()  # (``_folder_stamp``: a folder changed during the run is not trusted)
        self._records: dict[str, dict] = {}  # shared dependency records read in this run
        self._verified: dict[str, bool] = {}  # shared record -> its files unchanged, once per run
        self._stored: set[str] = set()  # shared records known to be on disk
        self._answers: dict[str, Any] = {}  # changed file -> what its text answers (``_same_answers``), once per run
        self._ready = False

    # ------------------------------------------------------------------ keys
    def key(self, path: str, data: bytes) -> str:
        return digest(b"\0".join([self.salt.encode(), path.encode("utf-8", "surrogateescape"), data]))

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def fingerprint(self, path: str) -> list:
        """What an entry records of a dependency: [content hash, size, mtime_ns]. The size and time let a
        later run skip reading a file they still match (``unchanged``); for a file changed in the last
        two seconds they are left out (-1), as git does for "racily clean" files: another change within
        the file system's timestamp granularity could keep both."""
        content = self.file_hash(path)
        stat = self._stat(path)
        if stat is None or time.time_ns() - stat.st_mtime_ns < _RACY_NS:
            return [content, -1, -1]
        return [content, stat.st_size, stat.st_mtime_ns]

    def unchanged(self, path: str, recorded: object) -> bool:
        """Whether a dependency still has the content ``fingerprint`` recorded: by its size and time when
        both match, else by its content hash."""
        if not (isinstance(recorded, list) and len(recorded) == 3):
            return False
        content, size, mtime = recorded
        stat = self._stat(path)
        if stat is not None and size != -1 and stat.st_size == size and stat.st_mtime_ns == mtime \
                and path not in self._hashes:
            self._hashes[path] = content  # (the same file: its hash, without reading it)
            return True
        return self.file_hash(path) == content

    def _stat(self, path: str) -> os.stat_result | None:
        if path not in self._stats:
            try:
                self._stats[path] = os.stat(path)
            except OSError:
                self._stats[path] = None
        return self._stats[path]

    def file_hash(self, path: str) -> str | None:
        """Content hash of a dependency (None when it cannot be read), memoized for this run; for a
        folder, of the names in it but hidden ones (``.git``) and this cache's own folder: no lookup lists them."""
        if path not in self._hashes:
            if os.path.isdir(path):
                try:
                    names = sorted(name for name in os.listdir(path) if not name.startswith(".")
                                   and os.path.join(path, name) != str(self.directory))
                    self._hashes[path] = digest("\n".join(names).encode("utf-8", "replace"))
                except OSError:
                    self._hashes[path] = None
                return self._hashes[path]
            from .source import UnreadableSource, read_bytes

            try:
                self._hashes[path] = digest(read_bytes(path, limit=None))  # (never a FIFO or a device)
            except UnreadableSource:
                self._hashes[path] = None
        return self._hashes[path]

    # --------------------------------------------------------------- lookups
    def get(self, key: str) -> tuple[list[Finding], list[str]] | None:
        """(findings, errors) of a valid entry, or None."""
        try:
            entry = _read_entry(self._entry(key), touch=True)
            if entry.get("format") != _FORMAT:
                return None
            if not self._unchanged_record(entry):
                return None
            findings = [Finding.from_dict(item) for item in entry["findings"]]
            errors = [str(item) for item in entry["errors"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, partly written by a crashed run, or corrupt: recompute
        return findings, errors

    def put(self, key: str, findings: list[Finding], errors: list[str], deps: Dependencies) -> None:
        """Store an entry atomically; failures (read-only disk, full disk) are ignored."""
        entry = {
            "format": _FORMAT,
            "findings": [f.to_dict() for f in findings],
            "errors": list(errors),
            **self._recorded(deps),
        }
        target = self._entry(key)
        try:
            self._prepare(target.parent)
            _write_entry(target, entry)
        except OSError:
            pass

    # ------------------------------------------------------------ dependencies
    def _dependencies(self, deps: Dependencies) -> dict:
        """What an entry records of the files its answers depend on (``deps``):
        each existing one with its ``fingerprint``, by folder
        (``{folder: {name: fingerprint}}``), and ``absent``: the import candidates that do not exist (most of a big
        project's lookups: ``collections.py``, ``collections/__init__.py``, ... beside every importing file), by the
        folder they would be in, each as the highest missing path above it (``pkg/collections`` stands for
        everything under it), with the folder's ``_folder_stamp``:
        ``{folder: [stamp, [names]]}``, where ``name/`` stands for both ``name`` and ``name.py`` (a module's
        two candidates). 5,545 candidates of one entry took 330 KB as paths with ``[null, -1, -1]``.
        ``searched``, when there are any: the files only asked questions of, by folder, each with its fingerprint
        and the questions with their answers (``{folder: {name: [fingerprint, [[kind, argument, answer]]]}}``)."""
        present: dict[str, dict[str, list]] = {}
        absent: dict[str, set[str]] = {}
        for dep in sorted(set(deps.files)):
            if self._lstat(dep) is not None:
                present.setdefault(os.path.dirname(dep), {})[os.path.basename(dep)] = self.fingerprint(dep)
                continue
            path, folder = dep, os.path.dirname(dep)
            while folder != path and self._lstat(folder) is None:  # (a missing folder holds nothing)
                path, folder = folder, os.path.dirname(folder)
            absent.setdefault(folder, set()).add(os.path.basename(path))
        record = {"deps": present,
                  "absent": {folder: [self._folder_stamp(folder), _packed(names)] for folder, names in sorted(absent.items())}}
        searched: dict[str, dict[str, list]] = {}
        for dep, questions in sorted(deps.searched.items()):
            searched.setdefault(os.path.dirname(dep), {})[os.path.basename(dep)] = [self.fingerprint(dep), questions]
        if searched:
            record["searched"] = searched
        return record

    @staticmethod
    def _paths(record: dict) -> list[str]:
        """Every dependency path ``record`` names (``_dependencies``), existing or not."""
        present = [os.path.join(folder, name) for folder, names in record["deps"].items() for name in names]
        return present + [os.path.join(folder, name) for folder, (_, names) in record["absent"].items()
                          for name in _unpacked(names)]

    def _recorded(self, deps: Dependencies) -> dict:
        """The dependency record of an entry (``_dependencies``): in the entry when small, else as a reference,
        ``{"deps_ref": digest}``, to ``deps/<digest>.json``, written once for every entry with the same record
        (the many files whose lookups reach the same project files: transformers' models share their
        closures; 290 MB of entries were 59 MB inline, most of it the same records over and over)."""
        record = self._dependencies(deps)
        payload = json.dumps(record, separators=(",", ":"), sort_keys=True).encode("utf-8")
        if len(payload) < _INLINE:
            return record
        ref = digest(payload)
        if ref not in self._stored:
            target = self._record_path(ref)
            try:
                if _read_entry(target, touch=True) != record:  # (present and intact: kept, marked used)
                    raise ValueError("cache record: not the same")
            except (OSError, ValueError):
                try:
                    self._prepare(target.parent)
                    _write_entry(target, record)
                except OSError:
                    return record  # (unwritable: the entry keeps its record)
            self._stored.add(ref)  # (the record is not kept: a whole-project run writes thousands)
        return {"deps_ref": ref}

    def _record_path(self, ref: str) -> Path:
        return self.directory / "deps" / ref[:2] / f"{ref}.json"

    def _record_of(self, entry: dict) -> dict:
        """The dependency record of ``entry``, read once per run when shared (KeyError, OSError, ValueError
        when it is missing or damaged: a miss)."""
        ref = entry.get("deps_ref")
        if ref is None:
            return entry
        if ref not in self._records:
            self._records[ref] = _read_entry(self._record_path(str(ref)), touch=True)  # (checksummed)
        return self._records[ref]

    def _unchanged_record(self, entry: dict) -> bool:
        """Whether every dependency ``entry`` records is as recorded; a shared record checked once per run."""
        ref = entry.get("deps_ref")
        if ref is None:
            return self._all_unchanged(entry)
        if ref not in self._verified:
            self._verified[ref] = self._all_unchanged(self._record_of(entry))
        return self._verified[ref]

    def _all_unchanged(self, entry: dict) -> bool:
        """Whether every dependency ``entry`` records is as recorded (``_dependencies``)."""
        for folder, names in entry["deps"].items():
            for name, recorded in names.items():
                if not self.unchanged(os.path.join(folder, name), recorded):
                    return False
        for folder, (stamp, names) in entry["absent"].items():
            if stamp != -1 and self._folder_stamp(folder) == stamp:
                continue  # (no entry added to the folder since: its names are still missing)
            if any(self._lstat(os.path.join(folder, name)) is not None for name in _unpacked(names)):
                return False
        for folder, names in entry.get("searched", {}).items():
            for name, (recorded, questions) in names.items():
                path = os.path.join(folder, name)
                if not self.unchanged(path, recorded) and not _same_answers(self._answers, path, questions):
                    return False
        return True

    def _folder_stamp(self, folder: str) -> "str | int":
        """A folder's inode, modification and change times: adding or removing an entry changes them, so an
        unchanged stamp means its missing names are still missing. -1 for a folder changed during this run
        or within two seconds before it (as ``fingerprint``: the lookups that found the names missing ran
        then), or that cannot be read: its names are then looked at one by one."""
        stat = self._stat(folder)
        if stat is None or self._started - max(stat.st_mtime_ns, stat.st_ctime_ns) < _RACY_NS:
            return -1
        return f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_ctime_ns}"

    def _lstat(self, path: str) -> os.stat_result | None:
        """The path's own ``lstat`` (a dangling symbolic link exists), memoized for this run."""
        if path not in self._lstats:
            try:
                self._lstats[path] = os.lstat(path)
            except OSError:
                self._lstats[path] = None
        return self._lstats[path]

    # ---------------------------------------------------------- project index
    def _index_entry(self, path: str) -> Path:
        return self.directory / "index" / f"{digest(self.salt.encode() + path.encode('utf-8', 'surrogateescape'))}.json"

    def get_index(self, path: str) -> "tuple[dict[str, dict[str, Any]], Dependencies] | None":
        """(table -> name -> fact, dependencies) indexed for project file ``path``, while all are unchanged."""
        try:
            entry = _read_entry(self._index_entry(path))
            if entry.get("format") != _FORMAT or not self.unchanged(path, entry["content"]) or entry["content"][0] is None:
                return None
            if not self._unchanged_record(entry):
                return None
            facts = {str(table): {str(name): fact for name, fact in names.items()}
                     for table, names in entry["facts"].items()}
            record = self._record_of(entry)
            searched = {os.path.join(folder, name): questions
                        for folder, names in record.get("searched", {}).items() for name, (_, questions) in names.items()}
            return facts, Dependencies(self._paths(record), searched)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put_index(self, path: str, facts: dict[str, dict[str, Any]], deps: Dependencies) -> None:
        """Store the index entry of ``path`` atomically (replacing any older one); failures are ignored."""
        entry = {
            "format": _FORMAT,
            "content": self.fingerprint(path),
            "facts": facts,
            **self._recorded(deps),
        }
        target = self._index_entry(path)
        try:
            self._prepare(target.parent)
            _write_entry(target, entry)
        except (OSError, ValueError, TypeError):  # (a fact JSON cannot hold)
            pass

    def _prepare(self, subdirectory: Path) -> None:
        if not self._ready:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                _write_atomic(ignore, "# created by bn-lint: the cache is never committed\n*\n")
            tag = self.directory / "CACHEDIR.TAG"
            if not tag.exists():
                _write_atomic(
                    tag,
                    "Signature: 8a477f597d28d172789f06886806bc55\n"
                    "# This file is a cache directory tag created by bn-lint.\n",
                )
            self._ready = True
        subdirectory.mkdir(parents=True, exist_ok=True)


def _same_answers(answers: "dict[str, Any]", path: str, questions: list) -> bool:
    """Whether the file, changed since, still gives ``questions`` their answers (``text_questions``); what it
    answers is kept in ``answers`` for the run (several entries ask the same file)."""
    from .source import UnreadableSource, read_bytes
    from .text_questions import Answers, same_answers

    try:
        if path not in answers:
            answers[path] = Answers(read_bytes(path, limit=None))
        return same_answers(answers[path], questions)
    except (UnreadableSource, ValueError, TypeError, re.error):
        return False


def _packed(names: "set[str]") -> list[str]:
    """Missing names, sorted, ``name`` and ``name.py`` as one ``name/`` (no file name holds a ``/``)."""
    out, paired = [], set()
    for name in sorted(names, key=len):  # (``x`` before ``x.py`` before ``x.py.py``)
        if name in paired:
            continue
        if name + ".py" in names:
            paired.add(name + ".py")
            out.append(name + "/")
        else:
            out.append(name)
    return sorted(out)


def _unpacked(names: "list[str]") -> list[str]:
    return [part for name in names for part in ((name[:-1], name[:-1] + ".py") if name.endswith("/") else (name,))]


def _write_atomic(path: Path, text: str) -> None:
    atomic.replace(str(path), text.encode("utf-8"))


_MAGIC = b"bn-lint-cache "


def _write_entry(path: Path, entry: dict) -> None:
    """An entry file: a header line with the checksum of the JSON that follows it."""
    payload = json.dumps(entry, separators=(",", ":")).encode("utf-8")
    atomic.replace(str(path), _MAGIC + digest(payload).encode() + b"\n" + payload)


def _read_entry(path: Path, touch: bool = False) -> dict:
    """The JSON of an entry whose checksum holds; ValueError for any other content (a bad entry is a
    miss, recomputed and rewritten, never a result). ``touch``: mark it used (``cache_clean.prune``)."""
    with open(path, "rb") as handle:
        data = handle.read()
    header, _, payload = data.partition(b"\n")
    if not header.startswith(_MAGIC) or header[len(_MAGIC):].decode("ascii", "replace") != digest(payload):
        raise ValueError("cache entry: bad checksum")
    entry = json.loads(payload)
    if not isinstance(entry, dict):
        raise ValueError("cache entry: not an object")
    if touch:
        try:
            os.utime(path)
        except OSError:
            pass
    return entry


def default_directory(settings: Settings, paths: "list[str] | tuple[str, ...]" = ()) -> Path:
    """``.bn_lint_cache`` in the project root: the configuration's folder, else the root of the first
    path checked (``project.find_root``: the nearest pyproject.toml, .git or setup file above it)."""
    if settings.config_path is None:
        from .project import find_root

        named = [p for p in paths if p != "-"]
        first = named[0] if named else "."
        try:
            return find_root(first) / DEFAULT_DIR
        except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13): the link's folder
            return find_root(os.path.dirname(os.path.abspath(first))) / DEFAULT_DIR
    return Path(settings.root) / DEFAULT_DIR
