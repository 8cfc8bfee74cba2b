"""What an instance of a project class holds, for ``self`` in its methods and for a name an ``assert isinstance``
pins to a class: the class's own BatchNorm content, joined with its subclasses' (a method runs on ``self`` of any of
them). NO only where the class builds no module of unknown class: every attribute it assigns is plain data or a
module known to hold no BatchNorm (an attribute filled by a method of its own, a registry's class or a project
function out of reach leaves the content open)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.knowledge.module_names import named_as_module
from bn_lint.semantic.nn_modules.bearing import ModelKind, class_kind, model_kind
from bn_lint.semantic.project.definitions import project_class
from bn_lint.semantic.project.overrides import subclasses
from bn_lint.semantic.syntax.followed import entered
from .keys import _unwrap_passthrough, key_of, key_root

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope

_CONTAINERS = frozenset({"torch.nn.ModuleDict", "torch.nn.ModuleList", "torch.nn.Sequential"})


def instance_kind(model: "FileModel", info: "ClassInfo", following: frozenset = frozenset()) -> ModelKind | None:
    """BN / MAYBE / NO for an instance of ``info`` (of ``model``) or of one of its subclasses, however deep
    (each class once: ``following``)."""
    following = entered(following, id(info.node))
    if following is None:
        return ModelKind.NO  # (a class met again on its own way: its other subclasses answer)
    kind = class_kind(model, info)
    if kind is not ModelKind.NO:
        return kind
    if _builds_unknown_parts(model, info):
        return ModelKind.MAYBE
    for owner, sub in subclasses(model, info):
        found = instance_kind(owner, sub, following)
        if found is not ModelKind.NO:
            return found
    return ModelKind.NO


def asserted_class_kind(model: "FileModel", key: str, scope: "Scope | None") -> ModelKind | None:
    """The kind of the project class an ``assert isinstance(key, Class)`` of the scope names after every binding
    of the name there (a model a registry builds, checked to be the class registered); None where there is none."""
    bound = model.bindings(key, scope) if scope is not None and key.isidentifier() else None
    if bound is None:
        return None
    last = max(model.line_of(value) or 0 for value in bound[0])
    where = scope.node if isinstance(scope.node, cst.FunctionDef) else model.module
    for statement in model.nodes_of(where, cst.Assert):
        test = statement.test
        if isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "isinstance" \
                and len(test.args) == 2 and key_of(test.args[0].value) == key and model.scope_of(statement) is scope \
                and (model.line_of(statement) or 0) > last:
            found = project_class(model, test.args[1].value) if isinstance(test.args[1].value, cst.Name) else None
            if found is not None:
                return instance_kind(found[0], found[1])
    return None


def _builds_unknown_parts(model: "FileModel", info: "ClassInfo", following: frozenset = frozenset()) -> bool:
    """Whether the class (or a project base) assigns an attribute a call whose result the code does not show to be
    plain data or a module without BatchNorm: a method of its own (``self.nodes = self._initiate_nodes(cfg)``), a
    project function, a class held in a variable."""
    for values in info.attributes.values():
        for value, where in values:
            value = _unwrap_passthrough(value)
            if isinstance(value, cst.Name) and where is not None and value.value in where.params \
                    and named_as_module(value.value):
                return True  # (`self.backbone = backbone`: a module its callers give)
            if isinstance(value, cst.Call) and model.qualname(value.func) in _CONTAINERS and any(
                    arg.star or not _shown(arg.value) for arg in value.args):
                return True  # (`nn.ModuleDict(nodes)`: modules the code does not show)
            if isinstance(value, cst.Call) and model_kind(model, value, where) is not ModelKind.NO \
                    and not _library_call(model, value, where):
                return True
    following = entered(following, id(info.node))  # (project bases however deep, each once)
    for base in info.bases if following is not None else ():
        found = project_class(model, base) if isinstance(base, (cst.Name, cst.Attribute)) else None
        if found is not None and _builds_unknown_parts(found[0], found[1], following):
            return True
    return False


def _library_call(model: "FileModel", call: cst.Call, scope: "Scope | None") -> bool:
    """A call of a library function or class the file imports or a builtin (``defaultdict(dict)``, ``torch.tensor``):
    data, or a module whose kind ``model_kind`` answers; not one of the project's, nor a name bound in the code."""
    func = call.func
    key = key_of(func)
    if key is None or key_root(key) == "self":
        return False
    root = key_root(key)
    if root in model.functions or root in model.classes or model.binding(root, scope) is not None:
        return False
    dotted = model.qualname(func)
    return project_class(model, func) is None and (dotted is None or model.imported_path(dotted) is None)


def _shown(value: cst.BaseExpression) -> bool:
    """A container's argument the code shows whole: a call, a display or a comprehension (not a name given)."""
    return isinstance(value, (cst.Call, cst.List, cst.Tuple, cst.Dict, cst.ListComp, cst.DictComp, cst.GeneratorExp))
