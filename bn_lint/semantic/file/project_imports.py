"""The project files behind a file's imports: where an imported name is defined (through package
``__init__`` re-exports), which project files it imports, the text of their methods of a name.

Functions of the :class:`~.model.FileModel`, which has them as methods (``model.imported(dotted, "class")``);
the project (:class:`~bn_lint.project.Project`) is the one the model was given.
"""
from __future__ import annotations

import os

import sys
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.syntax.followed import entered

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.file.records import Scope

# top-level packages that are never a file of the checked project
_NOT_PROJECT = frozenset({"torch", "torchvision", "torchaudio", "timm", "numpy", "os", "sys"})


def outside_project(dotted: str) -> bool:
    """Whether an absolute import names a module of the standard library or of torch's family, never a
    project file (not looked for where a guess is enough)."""
    root = dotted.split(".")[0]
    return root in _NOT_PROJECT or root in sys.stdlib_module_names


def imported(model: "FileModel", dotted: str, keyword: str | None = None) -> tuple["FileModel", str] | None:
    """The project file behind an imported ``pkg.module.name`` and the name in it; None outside the project.

    ``keyword`` ("class" or "def"): the caller wants only a class or function of that name, so a
    file whose text holds no ``class name`` / ``def name`` is not parsed.
    """
    where = model.imported_path(dotted, keyword)
    other = model.project.model(where[0]) if where is not None and model.project is not None else None
    return (other, where[1]) if other is not None else None


def method_texts(model: "FileModel", name: str) -> list[str]:
    """The text of every ``def name`` of this file's classes and of the project files it imports (those
    read, not parsed); ``"?"`` for a file that cannot be read. Cached per name."""
    cache = model._method_texts
    if name not in cache:
        texts = [model.code(info.methods[name]) for info in model.classes.values() if name in info.methods]
        if model.project is not None:
            paths = model.imported_project_paths
            if not texts and not any(name in model.project.names_in_text(path)[0] for path in paths):
                paths = imported_deeper(model, paths)  # (`models/__init__.py` re-exporting `from .vqvae import *`)
            for path in paths:
                if name in model.project.names_in_text(path)[0]:
                    found = model.project.function_bodies(path, name)
                    texts.extend(found if found is not None else ["?"])
        cache[name] = texts
    return cache[name]


def defined_in_repository(model: "FileModel", name: str) -> list[str]:
    """The text of every ``def name(`` of the repository's files (for a name neither the file nor what it imports
    defines: a helper given a model calls ``model.load(path)`` of a class only its callers import). The result
    depends on every file of the repository: asked only where a followed model's method is found nowhere nearer."""
    from bn_lint.repository_search import files_mentioning

    if model.project is None or name.startswith("__") or not os.path.isfile(model.path):
        return []
    root = str(model.project.root_for(model.path))
    texts: list[str] = []
    for path in files_mentioning(model.project, model.path, root, f"def {name}(", whole=False):  # (texts only)
        found = model.project.function_bodies(path, name)
        texts.extend(found if found is not None else ["?"])
    return texts


_DEEPER_LIMIT = 100  # (files: a class imports away, through packages' re-exports)


def imported_deeper(model: "FileModel", paths: list[str]) -> list[str]:
    """The project files the files at ``paths`` import, and those they import in turn, however many levels deep
    (each file once, at most ``_DEEPER_LIMIT`` of them, nearest first), read from their import lines without parsing them (``validate.py`` -> ``network/__init__.py`` -> ``coil_model.py``
    -> ``models/coil_icra.py``); once per file."""
    if model._deeper_imports is None:
        seen, frontier = dict.fromkeys(paths), list(paths)
        while frontier:
            following = []
            for path in frontier:
                for found in imported_files(model.project, path):
                    if found not in seen and len(seen) < _DEEPER_LIMIT:
                        seen[found] = None
                        following.append(found)
            frontier = following
        model._deeper_imports = list(seen)
    return model._deeper_imports


def imported_files(project, path: str) -> list[str]:
    """The project files the file at ``path`` imports, one level, in the order of its sorted module names, read
    from its import lines without parsing it; once per file and project."""
    memo, path = project._imported_files, os.path.abspath(path)
    if path not in memo:
        from bn_lint.import_lines import imported_modules
        from bn_lint.source import UnreadableSource, read_bytes

        try:
            dotted_names = sorted(imported_modules(read_bytes(path)))
        except UnreadableSource:
            dotted_names = []
        found = (None if outside_project(dotted) else project.resolve_module(dotted, path) for dotted in dotted_names)
        memo[path] = [other for other in dict.fromkeys(found) if other is not None and other != path]
    return memo[path]


def imported_project_paths(model: "FileModel") -> list[str]:
    """The project files this file imports from (resolved, not parsed)."""
    if model.project is None:
        return []
    paths: list[str] = []
    for dotted in sorted(set(model.imports.values())):
        if dotted.split(".")[0] in _NOT_PROJECT:
            continue
        for candidate in (dotted, dotted.rpartition(".")[0]):
            path = model.project.resolve_module(candidate, model.path) if candidate else None
            if path is not None:
                if path not in paths:
                    paths.append(path)
                break
    return paths


def reached_files(model: "FileModel", used: set[str], limit: int = 20) -> list[tuple["FileModel", set[str]]]:
    """The project files this file's code reaches through its imports, each with its module-level classes
    and functions reached: in a file this one imports, those ``used`` names (and those they name, in
    turn); in a file imported from there, those the reached definitions name; however many imports deep (a
    definition is reached once), at most ``limit`` files, nearest first (a factory of ``modeling.py`` returning ``PoolHead`` of
    ``layers.py``: ``layers.py`` with ``PoolHead``). A file that defines none of the names asked of it is
    not parsed."""
    from bn_lint.semantic.syntax.walk import walk

    project = model.project
    if project is None:
        return []
    found: dict[str, tuple["FileModel", set[str]]] = {}  # (a file reached again for more names grows)
    passed = {model.path}  # the file itself, and packages whose re-exports were passed on
    frontier: list[tuple["FileModel", set[str]]] = [(model, _imported_as(model, used))]
    while frontier:
        following: list[tuple["FileModel", set[str]]] = []
        for current, names in frontier:
            for path in current.imported_project_paths[:limit]:
                if path in passed or (path not in found and len(found) >= limit):
                    continue
                if not any(project.may_define(path, keyword, name) for name in names if name.isascii()
                           for keyword in ("class", "def")):  # (read, not parsed)
                    if os.path.basename(path) == "__init__.py" and names:  # a package's re-exports: passed on
                        passed.add(path)
                        package = project.model(path)
                        if package is not None:
                            following.append((package, names))
                    continue
                other = project.model(path) if path not in found else found[path][0]
                if other is None:
                    continue
                reached = found.setdefault(path, (other, set()))[1]
                named = _reach(other, names, reached, walk)
                if named:
                    following.append((other, _imported_as(other, named)))
        frontier = following
    return list(found.values())


def _imported_as(model: "FileModel", names: set[str]) -> set[str]:
    """``names`` with the name each one imports under another (``FourStreamSTGCN`` of ``from models.two_stream import
    Model as FourStreamSTGCN``: ``Model`` too), the name the other file defines."""
    return names | {model.imports[name].rpartition(".")[2] for name in names if name in model.imports}


def _reach(other: "FileModel", names: set[str], reached: set[str], walk) -> set[str]:
    """Add to ``reached`` the module-level definitions of ``other`` that ``names`` reach (and those they
    name, in turn); the words the newly reached definitions name."""
    defs = {node.name.value: node for node in other.module.body if isinstance(node, (cst.ClassDef, cst.FunctionDef))}
    todo = sorted(name for name in names if name in defs and name not in reached)
    named: set[str] = set()
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        for node in walk(defs[name]):
            word = node.value if isinstance(node, cst.Name) else \
                node.attr.value if isinstance(node, cst.Attribute) else None
            if word is not None:
                named.add(word)
                if word in defs:
                    todo.append(word)
    return named


def imported_path(model: "FileModel", dotted: str, keyword: str | None = None) -> tuple[str, str] | None:
    """(file, name) of ``imported`` without parsing the file."""
    if model.project is None:
        return None
    level = len(dotted) - len(dotted.lstrip("."))  # `from . import build` gives ".build": the package's
    inner, _, name = dotted[level:].rpartition(".")
    module_name = "." * level + inner
    if not module_name.strip(".") and not name or module_name.split(".")[0] in _NOT_PROJECT:
        return None
    path = model.project.resolve_module(module_name, model.path) if module_name else None
    if not path and module_name:
        path = _submodule_bound_in_package(model, module_name)
    if not path:
        return None
    if keyword and not model.project.may_define(path, keyword, name):
        return _reexported(model, path, name, keyword)
    return path, name


def _submodule_bound_in_package(model: "FileModel", module_name: str) -> str | None:
    """The file of ``pkg.video`` where no such file exists but ``pkg/__init__.py`` binds ``video`` to a module
    (``from .models import video``): the package's name for a module elsewhere in it."""
    level = len(module_name) - len(module_name.lstrip("."))
    parts = module_name[level:].split(".")
    for cut in range(len(parts) - 1, 0, -1):
        package = model.project.resolve_module("." * level + ".".join(parts[:cut]), model.path)
        if package is None or not package.endswith("__init__.py") or not model.project.mentions(package, parts[cut]):
            continue
        init = model.project.model(package)
        dotted = init.imports.get(parts[cut]) if init is not None else None
        if dotted is None:
            return None
        return model.project.resolve_module(".".join([dotted, *parts[cut + 1:]]), package)
    return None


def _reexported(model: "FileModel", path: str, name: str, keyword: str,
                following: frozenset = frozenset()) -> tuple[str, str] | None:
    """``name`` imported into a module from another (``from .validation import run_validation`` in a
    package's ``__init__``, or a name a star import brings): where it is defined, however many re-exports
    deep (``following``: those on the way; a cycle of them defines nothing). A module's text that does not
    mention ``name`` is not parsed."""
    asked = not following
    following = entered(following, (path, name))
    if following is None or model.project is None or not model.project.mentions(path, name) \
            and not model.project.mentions(path, "*"):
        return None
    other_kind = {"class": "def", "def": "class"}.get(keyword)
    if other_kind is not None and model.project.may_define(path, other_kind, name):
        return None  # (`def name` there: the name is that function, no re-exported class; and the converse)
    table = f"reexport-{keyword}"
    if asked:
        indexed = model.project.indexed(path, table, name)
        if indexed is None or isinstance(indexed, list) and len(indexed) == 2 and all(isinstance(x, str) for x in indexed):
            return tuple(indexed) if indexed else None  # type: ignore[return-value]
    package = model.project.model(path)
    found = _reexported_from(model, package, path, name, keyword, following) if package is not None else None
    if asked and package is not None:
        package.index_facts[(table, name)] = list(found) if found else None
    return found


def _reexported_from(model: "FileModel", package: "FileModel", path: str, name: str, keyword: str,
                     following: frozenset) -> tuple[str, str] | None:
    dotted = package.imports.get(name)
    if dotted is None:
        return None
    module_name, _, inner = dotted.rpartition(".")
    target = model.project.resolve_module(module_name, path) if module_name and model.project else None
    if not target:
        return None
    if model.project.may_define(target, keyword, inner):
        return target, inner
    return _reexported(model, target, inner, keyword, following)


def definition(model: "FileModel", dotted: str) -> tuple["FileModel", cst.BaseExpression, "Scope"] | None:
    """The one expression an imported dotted name is bound to in the project file that defines it, with
    that file's model and the scope to evaluate it in: a module-level name (``from config import WIDTH``,
    ``layers.norm_layer``) or an attribute of a class there (``Widths.stem``, a dataclass field's default
    ``Config.batch_size``: the class body's one binding, looked for through the class's bases in that
    file). None when it is no single binding or outside the project."""
    where = imported_path(model, dotted)
    if where is None and dotted.count(".") >= 2:  # `config.TrainConfig.batch_size`: a class member
        head, _, attr = dotted.rpartition(".")
        where = imported_path(model, head, "class")
        if where is not None:
            where = (where[0], f"{where[1]}.{attr}")
    if where is None or model.project is None:
        return None
    path, name = where
    owner, _, attr = name.rpartition(".")
    project = model.project
    if owner and not project.may_define(path, "class", owner) or not owner and not project.may_assign(path, name) and (
            not project.mentions(path, name) or project.may_define(path, "def", name) or project.may_define(path, "class", name)):
        return None  # (no such class, or no `name =` line and no other binding of it there: not parsed)
    other = model.project.model(path)
    if other is None or other is model:
        return None
    if not owner:
        bound = other.binding(name, other.module_scope)
        return (other, *bound) if bound is not None else None
    info = other.classes.get(owner)
    seen = 0
    while info is not None and seen < 8:
        values = info.scope.bindings.get(attr)
        if values:
            return (other, values[0], info.scope) if len(values) == 1 else None
        if attr in info.methods or attr in info.attributes:
            return None
        bases = [base.value for base in info.bases if isinstance(base, cst.Name)]
        info = other.classes.get(bases[0]) if len(info.bases) == 1 and bases else None
        seen += 1
    return None
