"""How the BN2xx verdicts name things (see :mod:`.chain_checks`): the :class:`Verdict` type, a layer
as its call reads (``BatchNorm1d(hidden, which is 64)``), where a node is, and where a tensor's rank
comes from; shared by the checks and :mod:`.width_slips`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.shapes.values import LayerValue, Observation, Tensor
from bn_lint.semantic.syntax.constants import Sym, is_width, show_width

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, NodeFix


@dataclass
class Verdict:
    code: str
    node: cst.CSTNode
    message: str
    fix: "NodeFix | None" = None


def _applied(model: "FileModel", obs: Observation) -> str:
    return f" when {_short(model, obs.via)}{_where(model, obs.via)} runs it" if obs.via is not None else ""


def _where(model: "FileModel", producer: LayerValue | cst.CSTNode | None) -> str:
    node = producer.node if isinstance(producer, LayerValue) else producer
    line = model.line_of(node) if node is not None else None
    return f" at line {line}" if line else ""


def _via(model: "FileModel", bn: LayerValue) -> str:
    if bn.site is None:
        return ""
    return f" (when built by {_short(model, bn.site)}{_where(model, bn.site)})"


def _short(model: "FileModel", node: cst.CSTNode) -> str:
    code = " ".join(model.code(node).split())
    return code if len(code) <= 60 else code[:57] + "..."


def _arg_text(model: "FileModel", layer: LayerValue, param: str | None, value: Any) -> str:
    expr = layer.args.get(param or "")
    shown = show_width(value)
    if expr is None:
        return shown
    code = model.code(expr)
    readable = isinstance(value, int) or (isinstance(value, Sym) and "(" not in shown)
    same = "".join(code.split()) == "".join(shown.split())  # (`channels * n_mels` is `channels*n_mels`: say it once)
    return f"{code}, which is {shown}" if readable and not same else code


def describe_bn(model: "FileModel", bn: LayerValue) -> str:
    width = bn.value(bn.spec.in_width)
    return f"{bn.spec.name}({_arg_text(model, bn, bn.spec.in_width, width)})"


def describe_producer(model: "FileModel", producer: LayerValue, width: Any) -> str:
    param = producer.spec.out_width if producer.spec.out_width not in (None, "same") else producer.spec.in_width
    if param in (None, "same") or not is_width(width):
        return f"{producer.spec.name}(...)"
    return f"{producer.spec.name}(..., {param}={_arg_text(model, producer, param, width)})"


def _rank_source(model: "FileModel", t: Tensor) -> str:
    if t.producer is not None and t.origin is t.producer.node:
        return f"from {t.producer.spec.name}{_where(model, t.producer)}"
    if t.origin is not None:
        code = model.code(t.origin)
        if len(code) > 50:
            code = code[:47] + "..."
        return f"from {code}{_where(model, t.origin)}"
    return ""


def _ranks(ranks: tuple[int, ...]) -> str:
    return " or ".join(f"{r}-D" for r in ranks)
