"""A module class whose ``forward`` puts a BatchNorm-bearing part (or itself) in training mode each time it runs
(``self.feature_extractor.train()`` before ``self.feature_extractor(x)``): ``model.eval()`` is undone by every
call, so each evaluation of the model normalises with batch statistics and moves the running averages.

Found where the ``.train()`` sits in ``forward`` itself, under no test of ``self.training`` or of a mode the
caller gives, the part may hold BatchNorm, and the file evaluates something (an ``.eval()``, ``no_grad``, a
Lightning ``validation_step`` / ``test_step`` / ``predict_step``). Left out: a ``forward`` that takes a training
step itself (test-time adaptation: batch statistics by design)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.project.builds_batchnorm import project_builds_batchnorm
from bn_lint.semantic.knowledge.training_steps import STEP_METHODS
from .bearing import ModelKind, class_kind, model_kind

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel

_EVALUATES = re.compile(r"\.eval\(\)|no_grad|inference_mode|def (?:validation|test|predict)_step\b")
_MODE_FLAG = re.compile(r"(?i)training|train|eval|mode|phase|infer")  # (a test that names a mode)


@dataclass(frozen=True)
class ForcedTrain:
    node: cst.Call  # the `.train()` in `forward`
    part: str  # `self.feature_extractor`, or `self`
    owner: str  # the class


def forced_train_in_forward(model: "FileModel") -> Iterator[ForcedTrain]:
    """Each ``self[.<part>].train()`` of an ``nn.Module`` class's ``forward`` that every run of it makes."""
    if _EVALUATES.search(model.source) is None:
        return
    for info in model.classes.values():
        forward = info.methods.get("forward")
        if forward is None or not model.is_nn_module_class(info) or _takes_a_step(model, forward):
            continue
        for call in model.nodes_of(forward, cst.Call):
            part = _trained_part(call)
            if part is None or _under_a_mode_test(model, call, forward):
                continue
            if _may_hold_batchnorm(model, info, part):
                yield ForcedTrain(call, part, info.name)


def _trained_part(call: cst.Call) -> str | None:
    """``self.x.train()`` / ``self.train()`` / ``.train(True)``: the module it puts in training mode."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "train"):
        return None
    if call.args and not (len(call.args) == 1 and isinstance(call.args[0].value, cst.Name)
                          and call.args[0].value.value == "True"):
        return None
    receiver = func.value
    if isinstance(receiver, cst.Name) and receiver.value == "self":
        return "self"
    if isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name) and receiver.value.value == "self":
        return f"self.{receiver.attr.value}"
    return None


def _under_a_mode_test(model: "FileModel", call: cst.Call, forward: cst.FunctionDef) -> bool:
    """Whether an ``if`` around ``call`` chooses a mode: it tests ``self.training``, a parameter of ``forward`` (a
    mode it is given: ``if train:``) or a flag named for a mode (``if self.train_flag:``); another test (a freezing
    option, ``if self.args.freeze_backbone:``) leaves a path that runs it on every call."""
    params = {p.name.value for p in (*forward.params.params, *forward.params.kwonly_params)}
    for ancestor in model.ancestors(call):
        if ancestor is forward:
            return False
        if isinstance(ancestor, (cst.If, cst.IfExp)):
            names = {n.value for n in model.nodes_of(ancestor.test, cst.Name)}
            if _MODE_FLAG.search(model.code(ancestor.test)) or names & (params - {"self"}):
                return True
    return False


def _takes_a_step(model: "FileModel", forward: cst.FunctionDef) -> bool:
    return any(isinstance(call.func, cst.Attribute) and call.func.attr.value in STEP_METHODS
               for call in model.nodes_of(forward, cst.Call))


def _may_hold_batchnorm(model: "FileModel", info: "ClassInfo", part: str) -> bool:
    """BN or MAYBE (RULES.md, Evidence); a part of unknown class when the project builds BatchNorm models."""
    if part == "self":
        kinds = [class_kind(model, info)]
    else:
        kinds = [model_kind(model, value, scope) for value, scope in info.attributes.get(part[len("self."):], [])]
    return ModelKind.BN in kinds or ModelKind.MAYBE in kinds or None in kinds and project_builds_batchnorm(model)
