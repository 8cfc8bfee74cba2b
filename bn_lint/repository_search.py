"""Questions about a whole repository answered from its files' text, without parsing them: the files of a folder
that mention a word, the first file that shows something (a repository that builds BatchNorm models), the project
names a file imports that stand for a BatchNorm layer."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from .project import Project

NOT_SEARCHED = frozenset({"node_modules", "venv", "env", "build", "dist", "site-packages"})  # folders never walked


def first_file_matching(project: "Project", path: str, patterns: tuple[bytes, ...], limit: int = 1000) -> str | None:
    """The first ``.py`` file of the repository holding ``path`` (its root walked folder by folder in sorted order,
    ``path`` first) whose text matches every one of ``patterns``; None if none of the first ``limit`` does, or when
    ``path`` is not a file on disk (a rule's example). The files read are recorded as looked at from ``path``."""
    start = os.path.abspath(path)
    if not os.path.isfile(start):
        return None
    root = str(project.root_for(path))
    memo = (root, patterns)
    if memo not in project.first_matching:
        read: list[str] = []
        found = None
        for other in [start, *_python_files(root, limit, skip=start)]:
            read.append(other)
            if all(project.matches(other, pattern) for pattern in patterns):
                found = other
                break
        project.first_matching[memo] = (found, read)
    found, read = project.first_matching[memo]
    project.edges.setdefault(start, set()).update(read)
    return found


def files_mentioning(project: "Project", path: str, folder: str, word: str, recursive: bool = True,
                     limit: int = 400, whole: bool = True) -> list[str]:
    """The ``.py`` files under ``folder`` (other than ``path``) whose text holds ``word``, sorted; the folders and
    files found are recorded as read whole from ``path`` (a folder's listing is part of the result cache's key, so a
    file added there is seen); the others, by the questions asked of their text (``DependencyLog``). With
    ``whole`` False, the files found too: the caller records what it reads whole of them. Past ``limit`` files,
    the rest are not read."""
    start = os.path.abspath(path)
    listed: set[str] = set()
    files = list(_python_files(os.path.abspath(folder), limit, recursive, listed, skip=start))
    found = sorted(other for other in files if project.mentions(other, word))
    project.log.search(start, listed, files, found if whole else ())
    return found


def imports_standing_for(project: "Project", path: str, names: list[tuple[str, str]], word: str,
                         evaluation_named: "Callable[[str], bool] | None" = None) -> bool:
    """Whether one of ``names`` (``(module, name)`` that the file at ``path`` imports) stands for ``word`` of
    ``prefilter.STAND_INS`` in its project module's text: "BatchNorm", a name a line binds to a BatchNorm layer
    (``Norm = partial(nn.BatchNorm2d, eps=1e-3)``); "loss.backward()", a function or class of a file that takes a training step (``Trainer(model).run()``);
    "no_grad", a class of a file with a method decorated ``@torch.no_grad()``, or a function named for evaluation
    whose body turns gradients off (``def test_model(model, loader):`` ... ``with torch.no_grad():``, also one a
    package's ``__init__`` re-exports from a module beside it; ``evaluation_named`` says which names are)."""
    for module, name in names:
        found = project.resolve_module(module, path)
        if found is None:
            continue
        if word == "no_grad" and not name[:1].isupper():
            if evaluation_named is None or not evaluation_named(name):
                continue  # (a helper named for something else: `trunc_normal_` initialises under `no_grad`)
            defining = _reexporting(project, found, name) or found
            if project.matches(defining, _no_grad_function(name)):
                return True
            continue
        if word == "BatchNorm" and name in project.batchnorm_aliases(found):
            return True
        if word == "loss.backward()" and (project.may_define(found, "def", name) or project.may_define(found, "class", name)) \
                and (project.matches(found, TAKES_STEP) or picks_stepping_module(project, found)):
            return True
        if word == "no_grad" and project.matches(found, _NO_GRAD_METHOD):
            return True
    return False


def _reexporting(project: "Project", path: str, name: str) -> str | None:
    """For a package's ``__init__`` at ``path`` that names ``name``, the module it imports ``name`` from (``from
    .train import fit, test``), one step (the ``__init__`` parsed once for the project); None for another file."""
    if os.path.basename(path) != "__init__.py" or not project.mentions(path, name):
        return None
    package = project.model(path)
    dotted = package.imports.get(name) if package is not None else None
    module = dotted.rpartition(".")[0] if dotted else ""
    return project.resolve_module(module, path) if module.strip(".") else None


def _no_grad_function(name: str) -> bytes:
    """The pattern of a top-level ``def name(`` whose body (its indented lines) turns gradients off."""
    return (rb"(?m)^def[ \t]+" + re.escape(name.encode()) + rb"\b[^\n]*\n(?:(?:[ \t)][^\n]*)?\n)*?[ \t][^\n]*"
            rb"\b(?:no_grad|inference_mode)\b")


def picks_stepping_module(project: "Project", path: str) -> bool:
    """Whether the file at ``path`` imports a module of its folder by a run-time name (``importlib.import_module(
    "models." + name + "_model")``, a model factory) and a file of that folder takes a training step."""
    if not project.matches(path, rb"import_module\s*\("):
        return False
    folder = os.path.dirname(path)
    return any(project.matches(other, TAKES_STEP)
               for other in _python_files(folder, _PICKED_FILES, recursive=False, skip=path))


_PICKED_FILES = 40  # (files of a factory's folder searched for a training step)

# in a file's text: a training step; a method decorated `@torch.no_grad()` (of a name: `no_grad_method(name)`)
TAKES_STEP = rb"\.\s*(?:backward|step)\s*\("


def no_grad_method(name: str = r"\w+") -> str:
    """The pattern of ``def name(self`` decorated ``@torch.no_grad()`` / ``@torch.inference_mode()``."""
    return r"@torch\.(?:no_grad|inference_mode)\(\)[ \t]*\r?\n[ \t]+def\s+" + name + r"\s*\(\s*self\b"


_NO_GRAD_METHOD = no_grad_method().encode()


def _python_files(root: str, limit: int, recursive: bool = True, looked: "set[str] | None" = None,
                  skip: str = "") -> Iterator[str]:
    """The ``.py`` files under ``root`` (but ``skip``), folder by folder in sorted order, at most ``limit``; the
    folders and files listed are added to ``looked``."""
    todo, seen = [root], 0
    while todo and seen < limit:
        current = todo.pop(0)
        if looked is not None:
            looked.add(current)
        try:
            names = sorted(os.listdir(current))
        except OSError:
            continue
        for name in names:
            other = os.path.join(current, name)
            if name.endswith(".py") and other != skip and os.path.isfile(other):
                seen += 1
                if looked is not None:
                    looked.add(other)
                yield other
            elif recursive and not name.startswith((".", "__")) and name not in NOT_SEARCHED and os.path.isdir(other):
                todo.append(other)


_FOLDER_LIMIT = 3000  # folders of a repository listed to find where its modules are


def module_bases(project: "Project", path: str, top: str) -> list[str]:
    """The folders of the repository holding ``path`` from which a module ``top`` (a folder, a package or
    ``top.py``) can be imported: where an import that resolves nowhere on the path bn-lint knows may be found
    (a local distribution ``pkg/setup.py`` + ``pkg/pkg/``, a folder put on ``PYTHONPATH`` by a shell script). Those
    folders are recorded as looked at from ``path``."""
    root = str(project.root_for(path))
    listing = project.module_folders.get(root)
    if listing is None:
        cache = getattr(project.index, "directory", None)  # (never this run's own cache folder)
        listing = project.module_folders[root] = _module_folders(root, str(cache) if cache is not None else "")
    found = listing.get(top, [])
    # (the folders that hold it are looked at; a folder elsewhere that comes to hold it later is seen when the importer
    # changes: recording every folder of the repository for each import of a library would tie each file to all)
    project.edges.setdefault(os.path.abspath(path), set()).update(found)
    return found


def _module_folders(root: str, skip: str) -> dict[str, list[str]]:
    """For each module name under ``root`` (a sub-folder, a ``.py`` file) the folders holding it (at most
    ``_FOLDER_LIMIT`` folders listed, breadth first; not ``skip``)."""
    names: dict[str, list[str]] = {}
    todo, listed = [root], 0
    while todo and listed < _FOLDER_LIMIT:
        current = todo.pop(0)
        listed += 1
        try:
            entries = sorted(os.scandir(current), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith((".", "__")) or name in NOT_SEARCHED or entry.path == skip:
                continue
            try:
                is_folder = entry.is_dir()
            except OSError:
                continue
            if is_folder:
                todo.append(entry.path)
                names.setdefault(name, []).append(current)
            elif name.endswith(".py"):
                names.setdefault(name[:-3], []).append(current)
    return names


def found_elsewhere(project: "Project", from_path: str, parts: list[str], looked: set[str]) -> str | None:
    """The file of the repository that module ``parts`` names when imported from a folder of its own (a local
    distribution ``pkg/setup.py`` + ``pkg/pkg/``, a folder a shell script puts on ``PYTHONPATH``): the nearest when
    several hold it (most folders in common with the importer); None when none does or two are as near."""
    found = {first_module([Path(base)], parts, looked) for base in module_bases(project, from_path, parts[0])}
    found.discard(None)
    here = os.path.abspath(from_path)
    nearness = {file: len(os.path.commonpath([file, here])) for file in found}
    nearest = [file for file in found if nearness[file] == max(nearness.values())]
    return nearest[0] if len(nearest) == 1 else None


def first_module(bases: list[Path], parts: list[str], looked: set[str]) -> str | None:
    """The file of the module ``parts`` under the first of ``bases`` that has it (``a/b.py`` or
    ``a/b/__init__.py``); every path tried is added to ``looked``."""
    for base in bases:
        target = base.joinpath(*parts) if parts else base
        for candidate in (target.with_suffix(".py") if parts else None, target / "__init__.py"):
            if candidate is not None:
                looked.add(os.path.abspath(candidate))
                if candidate.is_file():
                    return str(candidate)
    return None
