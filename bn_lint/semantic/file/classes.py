"""The classes of a file: which derive from ``torch.nn.Module``, the class around a scope, how a
function is called, what ``__init__`` stores on ``self``.

The first three are functions of the :class:`~.model.FileModel`, which has them as methods.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.knowledge import layers as layer_table
from bn_lint.semantic.knowledge.wrappers import SAME_MODULE_CLASS_NAMES
from bn_lint.semantic.syntax.followed import entered

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.file.records import ClassInfo, Scope

#: base classes that are torch.nn.Module subclasses (a LightningModule is one, whoever calls it)
MODULE_BASES = frozenset({"torch.nn.Module", "pytorch_lightning.LightningModule", "pytorch_lightning.core.LightningModule",
                          "lightning.LightningModule", "lightning.pytorch.LightningModule",
                          "lightning.pytorch.core.LightningModule"})
SAME_OBJECT_METHODS = frozenset({"to", "cuda", "cpu", "float", "half", "double", "bfloat16"})


def called_as(model: "FileModel", function: cst.FunctionDef) -> tuple[str, int] | None:
    """How this file calls ``function``: (the name, the leading parameters a call does not give):
    ``(name, 0)`` for a module-level function, ``(Class, 1)`` for a class's ``__init__``; None else."""
    scope = model.scopes.get(function)
    info = model.enclosing_class(scope.parent) if scope is not None else None
    if info is not None and info.methods.get("__init__") is function:
        return info.name, 1
    if model.functions.get(function.name.value) is function:
        return function.name.value, 0
    return None


def decorated_as(function: cst.FunctionDef, *names: str) -> bool:
    """Whether ``function`` carries one of the plain decorators ``names`` (``@staticmethod``)."""
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value in names for d in function.decorators)


def module_forward(info: ClassInfo) -> bool:
    """Whether the class defines a ``forward`` that takes an input (``forward(self, x)``), as a module's, called as
    ``obj(x)``; a ``forward(self)`` that runs what ``set_input()`` stored is a training wrapper's step (the
    pix2pix / MeshCNN model-class idiom), no module's."""
    forward = info.methods.get("forward")
    if forward is None:
        return False
    params = forward.params
    return len([*params.posonly_params, *params.params]) > 1 or bool(params.kwonly_params) \
        or isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None


def enclosing_class(model: "FileModel", scope: Scope | None) -> ClassInfo | None:
    while scope is not None:
        if scope.kind == "class":
            return model.classes.get(scope.name or "")
        scope = scope.parent
    return None


def class_of_method(model: "FileModel", func: cst.FunctionDef | None) -> ClassInfo | None:
    """The class whose body (or a function nested in it) defines ``func``; None for a module-level function."""
    scope = model.scopes.get(func) if func is not None else None
    return enclosing_class(model, scope.parent) if scope is not None and scope.parent is not None else None


def is_nn_module_class(model: "FileModel", info: ClassInfo, following: frozenset = frozenset()) -> bool:
    """Whether the class derives (as far as this file shows) from torch.nn.Module."""
    following = entered(following, id(info.node))
    if following is None:
        return False
    for base in info.bases:
        qn = model.qualname(base)
        if qn and (qn in MODULE_BASES or layer_table.lookup(qn) is not None):
            return True
        if isinstance(base, cst.Name) and base.value in model.classes and base.value != info.name:
            if model.is_nn_module_class(model.classes[base.value], following):
                return True
        elif qn and model.project is not None and _imported_module_class(model, qn, following):
            return True  # (`class ProtoNet(MetaTemplate)`, `MetaTemplate(nn.Module)` in another file of the project)
    return False


def _imported_module_class(model: "FileModel", dotted: str, following: frozenset) -> bool:
    """Whether the project class imported as ``dotted`` derives from torch.nn.Module."""
    from bn_lint.semantic.file.project_imports import imported_path, outside_project

    where = imported_path(model, dotted, "class") if not outside_project(dotted) else None
    if where is None or model.project.plain_class(*where):
        return False  # (`class Printable:`, read as text: no base, no module; its file is not parsed)
    other = model.project.model(where[0])
    info = other.classes.get(where[1]) if other is not None else None
    return info is not None and other.is_nn_module_class(info, following)


def _branch_statements(body) -> list[cst.BaseStatement]:
    """The statements of ``body`` and of the ``if`` / ``elif`` / ``else`` blocks in it, in order."""
    out: list[cst.BaseStatement] = []
    for line in body:
        out.append(line)
        branch = line if isinstance(line, cst.If) else None
        while branch is not None:
            out.extend(_branch_statements(branch.body.body))
            orelse = branch.orelse
            branch = orelse if isinstance(orelse, cst.If) else None
            if isinstance(orelse, cst.Else):
                out.extend(_branch_statements(orelse.body.body))
    return out


def _wrapper_call(call: cst.Call) -> bool:
    """``nn.DataParallel(model)``, ``DDP(model, ...)``: a wrapper that holds the module, in its mode (by its name:
    the file model of the caller is not at hand here)."""
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name in SAME_MODULE_CLASS_NAMES and bool(call.args) and call.args[0].keyword is None


def same_object(value: cst.BaseExpression) -> cst.BaseExpression:
    """The module a value holds, seen through device / dtype moves and parallel wrappers: ``model`` for
    ``nn.DataParallel(model).cuda()``."""
    while isinstance(value, cst.Call):
        if isinstance(value.func, cst.Attribute) and value.func.attr.value in SAME_OBJECT_METHODS:
            value = value.func.value
        elif _wrapper_call(value):
            value = value.args[0].value
        else:
            break
    return value


def stored_on_self(init: cst.FunctionDef) -> list[tuple[str, str]]:
    """(attribute, parameter) for each ``self.attr = param`` statement of ``__init__`` (annotated or not; ``param.to(device)``
    allowed), including the tuples that ``accelerator.prepare(...)`` / ``fabric.setup(...)`` hand back; also on
    a branch (``if model is None: self.model = resnet18() else: self.model = model``: the path a caller that
    gives a module takes)."""
    stored: list[tuple[str, str]] = []
    for line in _branch_statements(init.body.body):
        small = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
        if isinstance(small, cst.AnnAssign) and small.value is not None:  # `self.model: Net = model`
            target, value = small.target, small.value
        elif isinstance(small, cst.Assign) and len(small.targets) == 1:
            target, value = small.targets[0].target, small.value
        else:
            continue
        if isinstance(target, cst.Tuple) and isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                and value.func.attr.value in ("prepare", "setup") and len(target.elements) == len(value.args):
            pairs = list(zip([e.value for e in target.elements], [a.value for a in value.args]))
        elif isinstance(target, cst.Tuple) and isinstance(value, cst.Tuple) and len(target.elements) == len(value.elements):
            pairs = list(zip([e.value for e in target.elements], [e.value for e in value.elements]))
        else:
            pairs = [(target, value)]
        for attribute, given in pairs:
            given = same_object(given)
            if (isinstance(attribute, cst.Attribute) and isinstance(attribute.value, cst.Name)
                    and attribute.value.value == "self" and isinstance(given, cst.Name)):
                stored.append((attribute.attr.value, given.value))
    return stored


def super_call(expr: cst.BaseExpression) -> bool:
    """``super()`` (the receiver of ``super().__init__(...)``), also written ``super(Cls, self)`` (Python 2's form:
    the class it names is taken to be the one the method is in)."""
    return isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "super" \
        and (not expr.args or len(expr.args) == 2 and isinstance(expr.args[0].value, cst.Name)
             and isinstance(expr.args[1].value, cst.Name) and expr.args[1].value.value == "self")


def inherited_method(model: "FileModel", info: ClassInfo | None, name: str, following: frozenset = frozenset()) -> cst.FunctionDef | None:
    """The method ``super().name`` runs in a method of class ``info``: the first base of this file, in order
    and however many levels up, that defines it (None past a base defined elsewhere)."""
    following = entered(following, id(info.node)) if info is not None else None
    if following is None:
        return None
    for base in info.bases:
        found = model.classes.get(base.value) if isinstance(base, cst.Name) else None
        if found is None or found is info:
            return None
        if name in found.methods:
            return found.methods[name]
        deeper = inherited_method(model, found, name, following)
        if deeper is not None:
            return deeper
    return None
