"""A LightningModule that freezes a BatchNorm part and never puts it back in eval (RULES.md, BN105).

Lightning calls ``.train()`` on the whole module before each training epoch, so a
part frozen in ``__init__`` or a hook (``on_train_epoch_start``) trains in training
mode unless the class puts it in eval somewhere (an ``.eval()``, a ``train()``
override).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.file.model import MODULE_BASES
from bn_lint.semantic.nn_modules.bearing import ModelKind

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.modes import ModeAnalysis

_LIGHTNING_MODULES = MODULE_BASES - {"torch.nn.Module"}
# anything in the class that may put (part of) the model back in eval, or control what train() does
_REFREEZE = re.compile(r"\.eval\s*\(|\.train\s*\(\s*(?:mode\s*=\s*)?(?!True\b)[\w.]|def\s+train\s*\(")


@dataclass(frozen=True)
class LightningFreeze:
    """The freeze of a BatchNorm part ``key`` (``self.backbone``) in a method of LightningModule ``owner``."""

    node: cst.CSTNode  # the freeze
    key: str
    owner: str  # the class's name


def lightning_freezes(model: "FileModel", analysis: "ModeAnalysis") -> Iterator[LightningFreeze]:
    """A LightningModule that freezes a BatchNorm submodule (in ``__init__`` or a hook such as
    ``on_train_epoch_start``) and trains in ``training_step``: Lightning calls ``.train()`` on the whole
    module before each training epoch, so unless the class puts that part back in eval somewhere (an
    ``.eval()``, a ``train()`` override), it trains in train mode."""
    for info in model.classes.values():
        if "training_step" not in info.methods or "__init__" not in info.methods:
            continue
        if not any(model.qualname(base) in _LIGHTNING_MODULES for base in info.bases):
            continue
        if _REFREEZE.search(model.code(info.node)):
            continue
        summaries = [(method, analysis.summary(method)) for method in info.methods.values()]
        # (a method's own freeze set to a parameter's value happens only where a call gives False: there, its
        # caller's summary has it)
        for node, key in dict.fromkeys(freeze for method, summary in summaries if summary is not None
                                       for freeze in (*summary.freezes, *summary.helper_freezes)
                                       if not (_set_to_a_value(model, freeze[0]) and method in model.ancestors(freeze[0]))):
            if key.startswith("self.") and analysis.kinds.kind(key, frozenset(), info.scope) == ModelKind.BN:
                yield LightningFreeze(node, key, info.name)


def _set_to_a_value(model: "FileModel", node: cst.CSTNode) -> bool:
    """``p.requires_grad = trainable`` / ``m.requires_grad_(trainable)``: a freeze set to a value."""
    if isinstance(node, cst.Call):
        value = node.args[0].value if node.args else None
    else:
        assign = next((a for a in model.ancestors(node) if isinstance(a, cst.Assign)), None)
        value = assign.value if assign is not None else None
    return isinstance(value, cst.Name) and value.value not in ("False", "True")
