"""Which parts a class's ``self.part.eval()`` in its constructor freezes (RULES.md, BN105): any part of a module
class (``self.backbone.eval()`` while built); in a plain class (a trainer, a probe), only a model it builds itself
and gives no optimizer, not one it is given (whose mode it merely sets)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel


def of_module_class(model: "FileModel", func: cst.FunctionDef) -> bool:
    """Whether ``func`` is a method of a class with bases (a module's; not a plain class's, whose
    ``self.model.eval()`` sets the mode of a model it is given, and whose own ``train()`` is no override)."""
    info = model.class_of_method(func)
    return info is not None and any(model.code(base) != "object" for base in info.bases)


def built_and_not_optimised(model: "FileModel", func: cst.FunctionDef, owner: str) -> bool:
    """Whether ``owner`` (``self.backbone``) is built by the class of ``func`` (every value stored there a call)
    and its parameters are read nowhere in the class (no optimizer holds them): a frozen feature extractor."""
    info = model.class_of_method(func)
    values = info.attributes.get(owner[len("self."):], []) if info is not None and owner.count(".") == 1 else []
    if not values or not all(isinstance(value, cst.Call) for value, _ in values):
        return False
    return re.search(re.escape(owner) + r"\s*\.\s*(?:named_)?parameters\b", model.code(info.node)) is None
