"""The literal ``choices`` of an argparse option: the values ``args.<dest>`` can hold (``--arch`` with
``choices=["resnet18", "vgg16_bn"]``), read from the ``add_argument`` call that declares it."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.syntax.constants import evaluate

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel


def argparse_choices(model: "FileModel", expr: cst.BaseExpression) -> list[str]:
    """The literal ``choices`` of the argparse option ``args.<dest>`` reads; [] when not one."""
    if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)):
        return []
    dest, found = expr.attr.value, []
    for site in model.calls:
        call = site.node
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_argument"):
            continue
        flags = [evaluate(a.value, model, site.scope) for a in call.args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        named = evaluate(keywords["dest"], model, site.scope) if "dest" in keywords else next(
            (f.lstrip("-").replace("-", "_") for f in flags if isinstance(f, str) and f.startswith("--")),
            flags[0] if flags and isinstance(flags[0], str) else None)
        if named != dest:
            continue
        choices = keywords.get("choices")
        values = [evaluate(e.value, model, site.scope) for e in choices.elements] \
            if isinstance(choices, (cst.List, cst.Tuple)) else [None]
        if not values or not all(isinstance(v, str) for v in values):
            return []
        found.append(values)
    return found[0] if len(found) == 1 else []
