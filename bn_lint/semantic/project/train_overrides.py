"""Project classes that override ``train()`` to set their layers' modes themselves (mmdet's
``norm_eval``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.project.definitions import project_class
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel

_MAX_DEPTH = 8  # project classes followed, through bases and the modules they build


def overrides_train(model: "FileModel", func: cst.BaseExpression) -> bool:
    """Whether the project class that ``func`` builds, a project base of it, or a project module it
    builds overrides ``train()``: that class decides its layers' modes itself (mmdet's ``norm_eval``
    keeps BatchNorm in eval while the model trains)."""
    found = project_class(model, func)
    return found is not None and _manages_modes(found[0], found[1], set(), 0)


def _manages_modes(model: "FileModel", info: "ClassInfo", seen: set, depth: int) -> bool:
    if (id(model), info.name) in seen or depth > _MAX_DEPTH:
        return False
    seen.add((id(model), info.name))
    if "train" in info.methods and train_sets_modes(info.methods["train"]):
        return True
    for node in [*info.bases, *walk(info.node)]:
        func = node.func if isinstance(node, cst.Call) else node if node in info.bases else None
        found = project_class(model, func) if func is not None else None
        if found is not None and _manages_modes(found[0], found[1], seen, depth + 1):
            return True
    return False


def train_sets_modes(train: cst.FunctionDef) -> bool:
    """Whether an override of ``train()`` may set its layers' modes: it makes a call besides
    ``super().train(mode)`` (``m.eval()``, ``super().train(False)``, a helper); assigning ``.training``
    reaches no layer. A ``train(self)`` taking no mode overrides nothing: ``nn.Module.eval()`` calls
    ``self.train(False)``, so it is a trainer's training loop, not a module's mode switch."""
    if len(train.params.params) < 2 and not isinstance(train.params.star_arg, cst.Param):
        return False
    params = [p.name.value for p in train.params.params[1:2]]
    for node in walk(train.body):
        if not isinstance(node, cst.Call):
            continue
        func = node.func
        if isinstance(func, cst.Name) and func.value == "super":
            continue
        passed = [arg.value for arg in node.args]
        if super_train(func) and len(passed) == 1 and isinstance(passed[0], cst.Name) and [passed[0].value] == params:
            continue
        return True
    return False


def super_train(func: cst.BaseExpression) -> bool:
    """``super().train`` (``super(Net, self).train`` too)."""
    return isinstance(func, cst.Attribute) and func.attr.value == "train" and isinstance(func.value, cst.Call) \
        and isinstance(func.value.func, cst.Name) and func.value.func.value == "super"


def mode_ignored(info: "ClassInfo") -> "tuple[str, cst.Call] | None":
    """The mode parameter and the ``super().train()`` call of a ``train(self, mode=True, ...)`` override that never
    reads its mode and calls ``super().train()`` without it: ``nn.Module.eval()`` is ``self.train(False)``, so
    ``eval()`` leaves such a module in training mode. None for any other class."""
    train = info.methods.get("train")
    if train is None or len(train.params.params) < 2:
        return None
    mode = train.params.params[1].name.value
    if any(isinstance(node, cst.Name) and node.value == mode for node in walk(train.body)):
        return None  # (the override passes its mode on, or decides by it)
    return next(((mode, node) for node in walk(train.body)
                 if isinstance(node, cst.Call) and not node.args and super_train(node.func)), None)
