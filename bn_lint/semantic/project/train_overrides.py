"""Project classes that override ``train()`` to set their layers' modes themselves (mmdet's
``norm_eval``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.project.definitions import project_class
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel



def overrides_train(model: "FileModel", func: cst.BaseExpression) -> bool:
    """Whether the project class that ``func`` builds, a project base of it, or a project module it
    builds overrides ``train()``: that class decides its layers' modes itself (mmdet's ``norm_eval``
    keeps BatchNorm in eval while the model trains)."""
    found = project_class(model, func)
    return found is not None and _manages_modes(found[0], found[1], set())


def _manages_modes(model: "FileModel", info: "ClassInfo", seen: set) -> bool:
    """(project classes followed however far, through bases and the modules they build: each once)"""
    if (id(model), info.name) in seen:
        return False
    seen.add((id(model), info.name))
    if "train" in info.methods and train_sets_modes(info.methods["train"]):
        return True
    for node in [*info.bases, *walk(info.node)]:
        func = node.func if isinstance(node, cst.Call) else node if node in info.bases else None
        found = project_class(model, func) if func is not None else None
        if found is not None and _manages_modes(found[0], found[1], seen):
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


_NEUTRAL_CALLS = frozenset({"range", "len", "isinstance", "enumerate", "zip", "print", "hasattr"})
_PART_WALKS = frozenset({"modules", "children", "named_modules", "named_children", "apply"})


def refrozen_parts(model: "FileModel", func: cst.BaseExpression) -> frozenset[str] | None:
    """The parts of the model (``enc``, ``backbone.layer1``) that the ``train()`` override of the project class
    ``func`` builds puts back in eval, where the override names each part it reaches and no project base of the
    class manages modes itself; None where the override may reach any part (``self.modules()``, a helper)."""
    found = project_class(model, func)
    if found is None:
        return None
    holder, info = found
    train = info.methods.get("train")
    if train is None or not train_sets_modes(train):
        return None
    for base in info.bases:
        base_class = project_class(holder, base.value)
        if base_class is not None and _manages_modes(base_class[0], base_class[1], set(), 1):
            return None
    return override_parts(train)


def override_parts(train: cst.FunctionDef) -> frozenset[str] | None:
    """The parts of ``self`` a ``train()`` override puts in eval, each named (``self.enc.eval()``,
    ``self.enc[i].eval()``, a loop over ``self.enc.modules()`` or ``self.enc``); None where it may reach others."""
    parts: set[str] = set()
    loop_parts: set[str] = set()
    element_evals = False
    for node in walk(train.body):
        if isinstance(node, cst.For):
            part = _self_part(node.iter.func.value if isinstance(node.iter, cst.Call)
                              and isinstance(node.iter.func, cst.Attribute) else node.iter)
            if part:
                loop_parts.add(part)
        if not isinstance(node, cst.Call):
            continue
        func = node.func
        if isinstance(func, cst.Name) and (func.value in _NEUTRAL_CALLS or func.value == "super"):
            continue
        if super_train(func):
            continue
        if not isinstance(func, cst.Attribute):
            return None
        receiver = _self_part(func.value)
        if func.attr.value in ("eval", "train") and isinstance(func.value, cst.Name) and func.value.value != "self":
            element_evals = True  # (`m.eval()` in a loop over a part: the loop names the part)
        elif func.attr.value in ("eval", "train", *_PART_WALKS) and receiver:
            parts.add(receiver)
        else:
            return None
    if element_evals and not loop_parts:
        return None
    parts |= loop_parts
    return frozenset(parts) if parts else None


def _self_part(node: cst.BaseExpression) -> str | None:
    """``enc`` of ``self.enc``, ``self.enc[i]`` or ``self.enc.modules``' receiver; ``backbone.layer1`` of
    ``self.backbone.layer1``; None for ``self`` itself or anything else."""
    while isinstance(node, cst.Subscript):
        node = node.value
    names = []
    while isinstance(node, cst.Attribute):
        names.append(node.attr.value)
        node = node.value
    if not (isinstance(node, cst.Name) and node.value == "self") or not names:
        return None
    return ".".join(reversed(names))
