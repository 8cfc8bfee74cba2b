"""The project function or class a called name refers to: in this file, or imported from another
project file (read from its text first, parsed only when needed)."""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.classes import decorated_as
from bn_lint.semantic.project.returns import returns_own_instance
from bn_lint.semantic.syntax.walk import dotted_parts
from bn_lint.semantic.syntax.followed import entered

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope


def imported_name(model: "FileModel", func: cst.BaseExpression) -> str | None:
    """The dotted name an imported ``Name`` / ``module.Name`` / ``pkg.module.Name`` stands for (``import
    models.backbone`` binds ``models``: ``models.backbone.Backbone`` is ``models.backbone.Backbone``)."""
    parts = dotted_parts(func)
    base = model.imports.get(parts[0]) if parts is not None else None
    return ".".join([base, *parts[1:]]) if base else None


def _root_name(func: cst.BaseExpression) -> str | None:
    """The name a dotted expression starts from (``models`` of ``models.backbone.Backbone``)."""
    while isinstance(func, cst.Attribute):
        func = func.value
    return func.value if isinstance(func, cst.Name) else None


def project_class(model: "FileModel", func: cst.BaseExpression) -> tuple["FileModel", "ClassInfo"] | None:
    """The class a name refers to: in this file, or imported from another project file."""
    if isinstance(func, cst.Name) and func.value in model.classes:
        return model, model.classes[func.value]
    if model.project is None:
        return None
    dotted = imported_name(model, func)
    found = model.imported(dotted, "class") if dotted else None
    if found is None or found[1] not in found[0].classes:
        return None
    other, class_name = found
    return other, other.classes[class_name]


def project_builder(model: "FileModel", func: cst.BaseExpression) -> tuple["FileModel", cst.FunctionDef] | None:
    """The function an imported name refers to, in another project file (``from models import build_model``,
    or ``import models`` and ``models.build_model``)."""
    if model.project is None:
        return None
    dotted = imported_name(model, func)
    if dotted is None or isinstance(func, cst.Attribute) and model.binding(_root_name(func) or "", None) is not None:
        return None
    if _annotated_without_module(model, dotted):
        return None  # (read from its text: its file is not parsed for it)
    found = model.imported(dotted, "def")
    if found is None or found[1] not in found[0].functions:
        return None
    return found[0], found[0].functions[found[1]]


# a return annotation of a function that gives back no module: containers (`Tuple[List[int], int]`) of
# these leaves only (a bare `list` may hold modules)
_PLAIN_LEAVES = frozenset({"int", "float", "str", "bool", "bytes", "complex", "None"})
_CONTAINERS = frozenset({"tuple", "list", "dict", "set", "frozenset", "Tuple", "List", "Dict", "Set", "FrozenSet",
                         "Optional", "Union", "Sequence", "Iterable", "Mapping", "typing"})
_RETURN_ANNOTATION = re.compile(r"\)\s*->\s*([^:]+?)\s*:")


def _annotated_without_module(model: "FileModel", dotted: str) -> bool:
    """Whether every ``def`` of the imported function has a return annotation of plain data only (numbers,
    strings, flags and containers of them), read from its file's text."""
    where = model.imported_path(dotted, "def")
    bodies = model.project.function_bodies(*where) if where is not None and model.project is not None else None
    if not bodies:
        return False
    for body in bodies:
        header = _RETURN_ANNOTATION.search(body[:body.find(":\n") + 2] if ":\n" in body else body)
        names = set(re.findall(r"[A-Za-z_]\w*", header.group(1))) if header is not None else set()
        if not names - _CONTAINERS or not names <= _PLAIN_LEAVES | _CONTAINERS:
            return False
    return True


def element_builder(model: "FileModel", func: cst.BaseExpression,
                    scope: "Scope | None") -> tuple["FileModel", cst.FunctionDef] | None:
    """The project function a called name refers to: in this file, or imported from another file; for
    ``self._create_model``, the method of the enclosing class (its own, or a base's of any project file)."""
    if isinstance(func, cst.Name) and func.value in model.functions and model.binding(func.value, scope) is None:
        return model, model.functions[func.value]
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
        info = model.enclosing_class(scope)
        if info is not None and func.attr.value in info.methods:
            return model, info.methods[func.attr.value]
        found = inherited_definition(model, info, func.attr.value) if info is not None else None
        return (found[0], found[2]) if found is not None else None
    return project_builder(model, func)


def may_build_batchnorm(model: "FileModel", func: cst.Name) -> bool:
    """Whether an imported function comes from a project file whose text mentions BatchNorm, or imports a module by a
    name (``import_module(module_name)``: a builder of another file's model), or imports a project file that mentions
    BatchNorm (read without parsing: most imported helpers have nothing to do with a model's layers)."""
    where = model.imported_path(model.imports[func.value], "def") if func.value in model.imports else None
    if where is None or model.project is None:
        return False
    project = model.project
    if project.mentions(where[0], "BatchNorm") or project.mentions(where[0], "import_module("):
        return True
    # `Backbone()` builds `Resnet(resnet.Bottleneck, ...)`, a subclass of a class of a file its file imports; not
    # through a package's `__init__`, which imports its package's modules to re-export or register them (that
    # `models/__init__.py` imports `resnet.py` says nothing of what its `register_model` decorator returns)
    if os.path.basename(where[0]) == "__init__.py":
        return False
    from bn_lint.semantic.file.project_imports import imported_files

    return any(project.mentions(path, "BatchNorm") for path in imported_files(project, where[0]))


def builds_own_class(model: "FileModel", func: cst.Attribute) -> bool:
    """``UNet3D.from_config(cfg)``: a ``@classmethod`` of a project class that returns ``cls(...)``
    (:func:`.returns.returns_own_instance`)."""
    if model.binding(func.value.value, None) is not None:
        return False
    if func.value.value not in model.classes and not _defines_classmethod(model, func.value, func.attr.value):
        return False  # (checked on the other file's text first: `AutoModel.from_config` parses nothing)
    found = project_class(model, func.value)
    method = found[1].methods.get(func.attr.value) if found is not None else None
    return method is not None and returns_own_instance(found[0], method)


def _defines_classmethod(model: "FileModel", name: cst.Name, method: str) -> bool:
    """Whether the file an imported class name comes from (directly, not re-exported) defines that class
    and a ``def method(cls`` — read from its text, without parsing it (also where an ``__init__`` re-exports it)."""
    if not name.value[:1].isupper() or len(name.value) == 1:
        return False  # a class's name (`UNet3D`, `MPNN`), not a module alias (`F`, `nn`, `np`)
    dotted = imported_name(model, name)
    if model.project is None or not dotted or "." not in dotted.strip(".") \
            or dotted.split(".")[0] in ("torch", "torchvision", "torchaudio", "timm", "numpy", "transformers"):
        return False
    found = model.imported_path(dotted, "class")  # (also a class an `__init__` re-exports)
    return found is not None and model.project.may_define(found[0], "class", found[1]) \
        and model.project.may_define_method(found[0], method)


def plain_imported_class(model: "FileModel", func: cst.BaseExpression) -> bool:
    """``func`` names a class of another project file defined once there, at the top, without bases
    (``class GenerationMixin:``): not a module, whatever it calls. Read from the file's text alone."""
    if model.project is None or (isinstance(func, cst.Name) and func.value in model.classes):
        return False
    dotted = imported_name(model, func)
    where = model.imported_path(dotted, "class") if dotted else None
    return where is not None and model.project.plain_class(where[0], where[1])


def given_classes(model: "FileModel", function: cst.FunctionDef, param: str) -> list[cst.Name]:
    """The classes every call of ``function`` in this file gives ``param`` (``check(batch, Net, {})``:
    ``Net``, defined here or imported from the project; a library's builder, ``resnet18``), or its default gives it where a call leaves it out
    or nothing calls it; empty when one gives something else."""
    from bn_lint.semantic.evaluators.call_binding import given_values

    given = given_values(model, function, param)  # (where nothing here calls it: the default, `model_class=Model`)
    if not given:
        return []
    found = []
    for one in given:
        value = one.value
        if not isinstance(value, cst.Name) or (value.value not in model.classes and project_class(model, value) is None
                                               and not _imported_builder(model, value)):
            return []
        found.append(value)
    return found


def _imported_builder(model: "FileModel", name: cst.Name) -> bool:
    """``resnet18`` imported from a library (``from torchvision.models import resnet18``) and given as a builder
    (``super().__init__(resnet18)``): a callable whose call the model kinds know."""
    dotted = model.imports.get(name.value)
    return dotted is not None and model.binding(name.value, None) is None and "." in dotted


def inherited_definition(model: "FileModel", info: "ClassInfo | None", name: str,
                         following: frozenset = frozenset()) -> tuple["FileModel", "ClassInfo", cst.FunctionDef] | None:
    """The method ``super().name`` runs in a method of class ``info`` (of ``model``'s file): the first base,
    in order and however many levels up, that defines it, in this file or in the project file a base is imported
    from (``class Predictor(BaseRunner)`` with ``BaseRunner`` of ``base.py``), with that file's model and
    the base's class; None past a base that is no project class."""
    following = entered(following, id(info.node)) if info is not None else None
    if following is None:
        return None
    for base in info.bases:
        found = project_class(model, base) if isinstance(base, (cst.Name, cst.Attribute)) else None
        if found is None or found[1] is info:
            return None
        owner, base_info = found
        if name in base_info.methods:
            return owner, base_info, base_info.methods[name]
        deeper = inherited_definition(owner, base_info, name, following)
        if deeper is not None:
            return deeper
    return None


def class_level_method(model: "FileModel", func: cst.BaseExpression) -> tuple["FileModel", cst.FunctionDef] | None:
    """The ``@staticmethod`` / ``@classmethod`` that ``Class.method`` calls on a project class (of this file or
    imported; its own or inherited from a project base, across files), with the defining file's model:
    ``ModelFactory.from_config(cfg)``, ``Builder.build(cfg)``. Inside a classmethod, ``cls.method`` is the
    method of the class it is defined in (a subclass calling it inherits it)."""
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
        return None
    found = cls_class(model, func.value)
    if found is None:
        name = func.value.value
        if model.binding(name, None) is not None or name not in model.classes and (
                name not in model.imports or not name[:1].isupper()):
            return None  # (an imported class's name: `ModelFactory`, not a module alias: `F`, `np`)
        found = project_class(model, func.value)
    if found is None:
        return None
    owner, info = found
    method = info.methods.get(func.attr.value)
    if method is None:
        inherited = inherited_definition(owner, info, func.attr.value)
        owner, method = (inherited[0], inherited[2]) if inherited is not None else (owner, None)
    if method is None or not decorated_as(method, "staticmethod", "classmethod"):
        return None
    return owner, method


def cls_class(model: "FileModel", name: cst.Name) -> tuple["FileModel", "ClassInfo"] | None:
    """The class whose ``@classmethod`` binds ``name`` as its first parameter (``cls``), where ``name`` is read."""
    scope = model.scope_of(name)
    while scope is not None and scope.kind != "function":
        scope = scope.parent
    node = scope.node if scope is not None else None
    if not isinstance(node, cst.FunctionDef) or not node.params.params or node.params.params[0].name.value != name.value \
            or not decorated_as(node, "classmethod"):
        return None
    info = model.enclosing_class(scope.parent)
    return (model, info) if info is not None else None



# method names too common to say which class a receiver of unknown class is (`model.forward(x)`, `opt.step()`)
_COMMON_METHODS = frozenset({"forward", "step", "update", "train", "eval", "run", "predict", "fit", "get", "set",
                             "reset", "load", "save", "build", "test", "evaluate", "validate", "inference", "call",
                             "apply", "compute", "process", "init", "setup", "close", "start", "stop", "add", "append"})


def only_module_method_here(model: "FileModel", method: str) -> cst.FunctionDef | None:
    """The one method named ``method`` that a module class of this file defines, where no other class of the file
    does: what ``model.training_step(batch, i)`` runs where ``model`` is a parameter no caller of the file shows
    (class hierarchy analysis, narrowed to this file's modules). None for a common or private name."""
    if method.startswith("_") or method in _COMMON_METHODS or len(method) < 6:
        return None
    owners = [info for info in model.classes.values() if method in info.methods]
    if len(owners) != 1 or not model.is_nn_module_class(owners[0]):
        return None
    return owners[0].methods[method]


def only_definition(model: "FileModel", method: str) -> tuple["FileModel", cst.FunctionDef] | None:
    """The one method named ``method`` that the project defines near the file (one class of one file in the folder
    the file's code runs from, its own folder or the folders of the project files it imports; read from the files'
    text before any parse): what ``solver.loss_soft_all_domain(x)`` runs where ``solver`` is a parameter no caller
    of its file shows. None for a common name, or none or several definitions."""
    from bn_lint.repository_search import _python_files

    project = model.project
    if project is None or method.startswith("_") or method in _COMMON_METHODS or len(method) < 6 \
            or any(method in info.methods for info in model.classes.values()):
        return None
    memo = project.__dict__.setdefault("_only_definition", {})
    start = os.path.abspath(model.path)
    here = os.path.dirname(start)
    while os.path.isfile(os.path.join(here, "__init__.py")) and os.path.dirname(here) != here:
        here = os.path.dirname(here)  # (the folder its top-level package sits in: a script's own folder)
    folders = tuple(dict.fromkeys([here, os.path.dirname(start),
                                   *(os.path.dirname(os.path.abspath(p)) for p in model.imported_project_paths)]))
    if (folders, method) not in memo:
        memo[(folders, method)] = None
        looked = project.edges.setdefault(start, set())
        found = [other for folder in folders for other in _python_files(folder, 200, False, looked, skip=start)
                 if method in project.names_in_text(other)[0]]
        other = project.model(found[0]) if len(found) == 1 else None
        owners = [info for info in other.classes.values() if method in info.methods] if other is not None else []
        if len(owners) == 1:
            memo[(folders, method)] = (other, owners[0].methods[method])
    return memo[(folders, method)]
