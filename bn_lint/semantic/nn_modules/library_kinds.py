"""What library models and classes picked at run time hold (RULES.md "Evidence"): PyG's MLP (BatchNorm by default,
also in a project subclass), a callable picked from a module's namespace by a name known only at run time, a
well-known architecture imported from a module the project lacks; and whether a base class is another library's."""
from __future__ import annotations

import builtins
import sys
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.knowledge.library_models import (
    BN_ARCHITECTURE_NAMES, BN_FACTORY_PREFIXES, MODEL_ZOOS, PYG_MLP, TRAIN_MODE_CONSTRUCTORS, pyg_mlp_batchnorm)
from bn_lint.semantic.nn_modules.kind import KindQueries, ModelKind, one_of
from bn_lint.semantic.project.definitions import imported_name, project_class
from bn_lint.semantic.syntax.followed import entered

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel


def picked_by_name(model: "FileModel", module: str) -> ModelKind | None:
    """A callable of ``module`` picked by a name known only at run time: MAYBE for a model zoo (some of its
    builders have BatchNorm), and for a project module in a project that builds BatchNorm (RULES.md Evidence:
    a model of unknown class); None otherwise."""
    if module.startswith(MODEL_ZOOS) or (module + ".").startswith(BN_FACTORY_PREFIXES):
        return ModelKind.MAYBE
    from bn_lint.semantic.project.builds_batchnorm import project_builds_batchnorm

    found = model.project.resolve_module(module, model.path) if module and model.project is not None else None
    return ModelKind.MAYBE if found and project_builds_batchnorm(model) else None


def pyg_mlp_without_norm(model: "FileModel", call: cst.Call) -> bool:
    """``SharedMLP(dims, norm=None)``: a project subclass of PyG's MLP built with its norm turned off."""
    if pyg_mlp_batchnorm(call) is not False:
        return False
    found = project_class(model, call.func) if isinstance(call.func, (cst.Name, cst.Attribute)) else None
    return found is not None and any(PYG_MLP.match(found[0].qualname(base) or "") for base in found[1].bases)


def pyg_mlp_kind(call: cst.Call) -> ModelKind:
    has_bn = pyg_mlp_batchnorm(call)
    return ModelKind.MAYBE if has_bn is None else ModelKind.BN if has_bn else ModelKind.NO


def evaluated_name_kind(ask: KindQueries, model: "FileModel") -> ModelKind | None:
    """What ``eval(name)(...)`` builds: one of the project classes the module defines or imports (a name known only at
    run time picks it). BN when all of those that are modules hold BatchNorm, MAYBE when some do, NO when none does;
    None when the module sees no module class (``eval(post_process_type)(...)`` over post-processors)."""
    kinds = set()
    for name in {*model.classes, *model.imports}:  # (a class's name: `DeepLabV2`, not `F`, `np`, `build_model`)
        found = project_class(model, cst.Name(name)) if name.isidentifier() and name[:1].isupper() else None
        if found is not None and found[0].is_nn_module_class(found[1]):
            kinds.add(ask.class_kind(found[0], found[1], frozenset()))
    return one_of(kinds)


def framework_constructor_kind(ask: KindQueries, model: "FileModel", func: cst.BaseExpression, scope,
                               following: frozenset) -> "ModelKind | None":
    """``FGN.load_from_checkpoint(path)`` (or on an instance, ``FGN().load_from_checkpoint(path)``), or a hub mixin's
    ``Net.from_pretrained(repo)``: an instance of that class, as ``FGN()`` holds; None for any other call."""
    built = framework_constructed(model, func)
    return ask.model_kind(model, cst.Call(func=built), scope, following) if built is not None else None


def framework_constructed(model: "FileModel", func: cst.BaseExpression) -> cst.BaseExpression | None:
    """The project class that ``FGN.load_from_checkpoint`` (or ``FGN().load_from_checkpoint``, a hub mixin's
    ``Net.from_pretrained``) builds with loaded weights, in training mode, as its name; None for any other callee."""
    if not (isinstance(func, cst.Attribute) and func.attr.value in TRAIN_MODE_CONSTRUCTORS):
        return None
    receiver = func.value
    built = receiver.func if isinstance(receiver, cst.Call) else receiver
    found = project_class(model, built) if isinstance(built, (cst.Name, cst.Attribute)) else None
    bases = TRAIN_MODE_CONSTRUCTORS[func.attr.value]
    if found is None or bases and not derives_from(found[0], found[1], bases):
        return None
    return built


def derives_from(model: "FileModel", info: "ClassInfo", qualnames: tuple[str, ...], seen: frozenset = frozenset()) -> bool:
    """Whether the project class ``info`` of ``model``'s file derives from a class of one of these qualified names,
    directly or through project bases (in any file, however many: ``seen``, the classes on the way)."""
    seen = entered(seen, id(info.node))
    if seen is None:
        return False
    for base in info.bases:
        if model.qualname(base) in qualnames:
            return True
        found = project_class(model, base) if isinstance(base, (cst.Name, cst.Attribute)) else None
        if found is not None and derives_from(found[0], found[1], qualnames, seen):
            return True
    return False


def absent_bn_architecture(model: "FileModel", func: cst.BaseExpression) -> bool:
    """``InceptionV3`` / ``models.ResNet50`` imported from a module the project does not have, the name
    that of a well-known architecture with BatchNorm (``BN_ARCHITECTURE_NAMES``)."""
    dotted = imported_name(model, func)
    module, _, name = (dotted or "").rpartition(".")
    if not module or not BN_ARCHITECTURE_NAMES.match(name) or module.split(".")[0] in ("torch", "torchvision", "timm"):
        return False
    return model.project is None or model.project.resolve_module(module, model.path) is None


def foreign_base(model: "FileModel", base: cst.BaseExpression) -> bool:
    """Whether a base that names no project class comes from another library (``pl.LightningModule``,
    ``BaseModel`` imported from a package): not a builtin (``object``, ``dict``), not the standard library."""
    qn = model.qualname(base)
    if not qn:
        return not isinstance(base, cst.Name) or base.value not in _BUILTINS
    root = qn.split(".", 1)[0]
    return root not in sys.stdlib_module_names and not (root == qn and root in _BUILTINS)


_BUILTINS = frozenset(dir(builtins))
