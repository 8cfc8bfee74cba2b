"""Which project class a value builds an instance of: a constructor call (``Net(...)``, imported or not), or a call
of a builder function whose returns all build the same class (``M.resnet18(pretrained=True)``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.classes import is_nn_module_class
from bn_lint.semantic.nn_modules.run_time_classes import located_class
from bn_lint.semantic.project.definitions import element_builder, project_builder, project_class
from bn_lint.semantic.project.picked_classes import picked_classes
from bn_lint.semantic.syntax.walk import returned_values
from .keys import _unwrap_passthrough
from .method_names import sets_modes

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo
    from .analysis import ModeAnalysis


def class_of_construction(analysis: "ModeAnalysis", value: cst.BaseExpression | None,
                          other_files: bool = True) -> "tuple[ModeAnalysis, ClassInfo] | None":
    """The project class ``value`` (``Net(...)``, ``get_class("pkg.models.Net")()``) builds an instance of, with
    the analysis of its file."""
    located = located_class(analysis.model, value, None) if isinstance(value, cst.Call) and other_files else None
    if located is not None and located[1] in located[0].classes:
        return (analysis if located[0] is analysis.model else located[0].analysis(type(analysis))), \
            located[0].classes[located[1]]
    if not (isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute))):
        return None
    model = analysis.model
    if isinstance(value.func, cst.Name):
        name = value.func.value
        if model.binding(name, None) is not None:
            return None
        if name in model.classes:
            return analysis, model.classes[name]
    if not other_files:
        return None
    # (imported by name, or an attribute of an imported module: `import pkg.trainer as t; t.Trainer(...)`)
    found = project_class(model, value.func)
    if found is None:
        return None
    return (analysis if found[0] is model else found[0].analysis(type(analysis))), found[1]


def built_class(analysis: "ModeAnalysis", value: cst.BaseExpression | None,
                other_files: bool = True) -> "tuple[ModeAnalysis, ClassInfo] | None":
    """``class_of_construction``, or the project class a builder function (of this file, or imported) returns an
    instance of, when its returns all build the same one (``M.resnet18(pretrained=True)`` whose ``return
    ResNet(...)``, or a name bound so)."""
    found = class_of_construction(analysis, value, other_files)
    if found is not None or not (isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute))):
        return found
    model = analysis.model
    if isinstance(value.func, cst.Name) and value.func.value in model.functions:
        owner, function = analysis, model.functions[value.func.value]
    else:
        builder = project_builder(model, value.func) if other_files else None
        if builder is None:
            return None
        owner, function = builder[0].analysis(type(analysis)), builder[1]
    classes = set()
    for returned in returned_values(function):
        if isinstance(returned, cst.Name):
            bound = owner.model.binding(returned.value, owner.model.scopes.get(function))
            returned = _unwrap_passthrough(bound[0]) if bound is not None else None
        found = class_of_construction(owner, returned, other_files) if returned is not None else None
        if found is None:
            return None
        classes.add((id(found[0]), id(found[1])))
    return found if len(classes) == 1 else None



def switching(found: "tuple[ModeAnalysis, ClassInfo] | None", method: str) -> "tuple[ModeAnalysis, ClassInfo] | None":
    """``found`` when its class's ``method`` switches a mode or a gradient (``freeze_bn()``): a builder's class is
    followed for the effects of such a method (its runs are an inference at the call, ``no_grad_method_run``)."""
    defined = found[1].methods.get(method) if found is not None else None
    return found if defined is not None and sets_modes(found[0].model.code(defined)) else None


def plain(found: "tuple[ModeAnalysis, ClassInfo] | None") -> "tuple[ModeAnalysis, ClassInfo] | None":
    """``found`` when its class is no module class (``model = create_model(opt)`` returning a training wrapper that
    holds the networks): its methods run on what its ``__init__`` left, as a construction's do."""
    return found if found is not None and not is_nn_module_class(found[0].model, found[1]) else None


def built_classes(analysis: "ModeAnalysis", value: cst.BaseExpression | None) -> "list[tuple[ModeAnalysis, ClassInfo]]":
    """``built_class``'s one class, or the classes a run-time pick may build (``cls(opt)`` with ``cls =
    find_model_using_name(opt.model)``, or a factory returning such an instance: ``create_model(opt)``), each with its
    file's analysis; [] when neither is known."""
    found = built_class(analysis, value)
    if found is not None:
        return [found]
    if not isinstance(value, cst.Call):
        return []
    model = analysis.model
    picked = picked_classes(model, value, model.scope_of(value))
    if not picked:
        factory = element_builder(model, value.func, model.scope_of(value))
        if factory is None:
            return []
        owner, function = factory
        fscope = owner.scopes.get(function)
        for returned in returned_values(function):
            if isinstance(returned, cst.Name):
                bound = owner.binding(returned.value, fscope)
                returned = bound[0] if bound is not None else None
            picked = picked_classes(owner, returned, fscope) if isinstance(returned, cst.Call) else []
            if picked:
                break
    return [(analysis if other is model else other.analysis(type(analysis)), info) for other, info in picked]
