"""Loss modules: callables a training loop runs that are no model (``criterion = nn.CrossEntropyLoss()``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.knowledge.library_models import LOSS_CLASS

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


def builds_loss(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None") -> bool:
    """Whether ``expr`` (``criterion``, ``self.loss_fn``) is bound only to loss modules (``nn.CrossEntropyLoss()``,
    a project's ``FocalLoss(...)``): a callable a training loop runs that is no model."""
    if isinstance(expr, cst.Name):
        found = model.bindings(expr.value, scope)
        values = found[0] if found is not None else []
    elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
        info = model.enclosing_class(scope)
        values = [value for value, _where in info.attributes.get(expr.attr.value, [])] if info is not None else []
    else:
        return False
    return bool(values) and all(isinstance(v, cst.Call) and LOSS_CLASS.search(model.qualname(v.func) or "")
                                for v in values)
