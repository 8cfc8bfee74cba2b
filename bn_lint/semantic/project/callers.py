"""Who calls a function of a file: the functions of the file that call it (and, for a method, the methods that call
it on ``self``), and the files beside it that call it, read from their text before any parse."""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.prefilter import code_only
from bn_lint.source import UnreadableSource, read_bytes
from bn_lint.repository_search import files_mentioning
from bn_lint.semantic.evaluators.call_binding import Given, bind, given_at, param_default, positional_names
from bn_lint.semantic.project.definitions import project_class

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel


def callers_in_file(model: "FileModel", name: str) -> list[str]:
    """``name`` and the top-level functions of this file that call it, directly or through each other
    (``report()`` -> ``score()`` -> ``predict_batch()``), and for a method the methods that call it on ``self``
    (``get_feature_embedding()`` -> ``feature_extraction()``): a caller of any of them elsewhere reaches it."""
    found = [name]
    index = 0
    while index < len(found) and len(found) < 20:
        callee = found[index]
        index += 1
        for site in model.calls:
            func = site.node.func
            on_self = isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self" \
                and func.attr.value == callee  # (a method's callers: the methods of its class that call it on `self`)
            if not (isinstance(func, cst.Name) and func.value == callee or on_self):
                continue
            scope = site.scope
            while scope is not None and scope.parent is not None and scope.parent.kind not in ("module", "class"):
                scope = scope.parent
            if scope is not None and scope.kind == "function" and scope.name and scope.name not in found \
                    and (model.functions.get(scope.name) is scope.node or on_self and scope.parent.kind == "class"):
                found.append(scope.name)
    return found


def called_elsewhere(model: "FileModel", name: str, setting_eval: bool = False) -> bool:
    """Whether another file beside this one (its folder, and each folder above it while it is a package) names this
    module and calls ``name`` (and, ``setting_eval``, puts a model in eval): that caller's check follows the model
    it passes (and reports a training-mode one there, naming the call), or it puts the model in eval."""
    return next(calling_files(model, name, setting_eval), None) is not None


def calling_files(model: "FileModel", name: str, setting_eval: bool = False) -> Iterator[str]:
    """The files beside this one that name this module and call ``name`` (see ``called_elsewhere``), as far as
    their texts show: a caller that reads one further gets it from ``caller_model``."""
    project = model.project
    if project is None:
        return
    here = os.path.dirname(os.path.abspath(model.path))
    folders = [here]
    root = str(project.root_for(model.path))
    while os.path.isfile(os.path.join(folders[-1], "__init__.py")) and len(folders) < 5:
        folders.append(os.path.dirname(folders[-1]))  # (up the package: `from clmr.utils import f` in a root script)
    if folders[-1] != root and os.path.dirname(folders[-1]).startswith(root):
        # (a top package, or a folder without `__init__.py` (a namespace package), imported from the folder above it:
        # the root, or a checked repository below the folder bn-lint runs from)
        folders.append(os.path.dirname(folders[-1]))
    stem = os.path.splitext(os.path.basename(model.path))[0]
    if stem == "__init__":
        stem = os.path.basename(here)
    names = [stem]
    package = os.path.join(here, "__init__.py")
    if stem != os.path.basename(here) and os.path.isfile(package) and project.mentions(package, stem) \
            and project.mentions(package, name):
        names.append(os.path.basename(here))  # (`from utils import accuracy`: the package re-exports it)
    for folder in folders:
        for other in files_mentioning(project, model.path, folder, name + "(", recursive=False, whole=False):
            if project.calls_name(other, name) and any(project.mentions(other, word) for word in names) and (
                    not setting_eval or project.mentions(other, ".eval()") or project.mentions(other, "train(False)")
                    or _evals_through_import(project, other, model.path)):
                yield other  # (it imports this module, calls the function and sets a model in eval)


def caller_model(model: "FileModel", path: str) -> "FileModel | None":
    """The model of ``path``, a file ``calling_files`` gave for ``model``, recorded as read whole from it (a
    calling file read only for the questions asked of its text is depended on by their answers alone)."""
    model.project.log.read_whole(model.path, path)
    return model.project.model(path)


def _evals_through_import(project, path: str, start: str) -> bool:
    """Whether the file at ``path`` imports a project function by name whose code puts a model in eval and gives
    something back (``model = load_model_from_checkpoint(model, ckpt)``, which ends ``model = model.eval();
    return model``): read from the texts, without parsing them (recorded as read whole from ``start``)."""
    from bn_lint.import_lines import imported_names

    project.log.read_whole(start, path)  # (its import lines, and the modules they name)
    data = _read(path)
    for module, name in imported_names(data) if b"import" in data else ():
        as_module = project.resolve_module(f"{module}.{name}", path)  # (`from model import build_model`)
        if as_module is not None:
            called = set(re.findall(r"\b" + re.escape(name) + r"\.(\w+)\s*\(", code_only(data.decode("utf-8", "replace"))))
            if project.mentions(as_module, ".eval()") and any(_evals(project, as_module, f, set()) for f in called):
                return True
            continue
        found = project.resolve_module(module, path)
        if found is not None and _evals(project, found, name, set()):
            return True
    return False


def _evals(project, path: str, name: str, looked_at: set[str]) -> bool:
    """Whether a function ``name`` of the file at ``path`` puts a model in eval and gives something back, itself or
    through the functions of its file it calls, however deep (``looked_at``: the functions read so far, each once)."""
    if name in looked_at:
        return False
    looked_at.add(name)
    for body in project.function_bodies(path, name) or ():
        code = code_only(body)
        if ".eval()" in code and "return" in code:
            return True
        if any(_evals(project, path, other, looked_at) for other in sorted(set(re.findall(r"(?<![\w.])(\w+)\s*\(", code)))):
            return True
    return False


def given_by_builders_elsewhere(model: "FileModel", init: cst.FunctionDef,
                                param: str) -> list[tuple["FileModel", "Given"]] | None:
    """What each construction of this file's class in the files beside it gives ``param`` of its ``__init__``
    (``Trainer(linear_classifier=nn.Linear(8, 2))`` in a script), with the file that builds it; None where
    ``init`` is no class's ``__init__``, no file beside this one builds the class, or one derives from it (its
    ``super().__init__(...)`` gives the parameter too)."""
    called = model.called_as(init)
    if called is None or called[1] != 1 or model.project is None:
        return None
    name, here = called[0], os.path.abspath(model.path)
    derived = re.compile(r"class\s+\w+\s*\([^)]*\b" + re.escape(name) + r"\b")
    params = positional_names(init, 1)
    default = param_default(init, param)
    found: list[tuple["FileModel", Given]] = []
    for other in dict.fromkeys(calling_files(model, name)):
        builder = caller_model(model, other)
        if builder is None or os.path.abspath(builder.path) == here:
            continue
        if derived.search(builder.source):
            return None
        for site in builder.calls:
            built = project_class(builder, site.node.func)
            if built is None or built[1].name != name or os.path.abspath(built[0].path) != here:
                continue
            bound = bind(site.node, params, builder, site.scope)
            found.append((builder, given_at(site, bound, param, default, model.scope_of(init))))
    return found or None


def _read(path: str) -> bytes:
    """The file's bytes, read the safe way (never a FIFO, a device or a huge file); empty when unreadable."""
    try:
        return read_bytes(path)
    except UnreadableSource:
        return b""
