"""What a comprehension or a lambda evaluates to in the shapes analysis (evaluators of
:class:`~.expressions.ChainExpressions`, given the :class:`~.producers.ChainAnalysis` that runs them)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.shapes.values import GAP, Chain, Tensor, _concrete_items
from bn_lint.semantic.syntax.constants import UNKNOWN

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.shapes.producers import ChainAnalysis
    from bn_lint.semantic.shapes.frame import Frame

_PER_ITEM = 32  # a comprehension over more items than this is evaluated once, its loop variable unknown


def comprehension(chain: "ChainAnalysis", expr: cst.ListComp | cst.GeneratorExp | cst.DictComp | cst.SetComp,
                  frame: "Frame") -> Any:
    """A list of unknown length (a dict comprehension: an unknown value); its element is evaluated once,
    with the loop variables unknown, for the layers it builds (``nn.ModuleDict({name: nn.Sequential(...)
    for name in tasks})``) and as what every item of the list is."""
    first = chain.expressions.evaluate(expr.for_in.iter, frame)
    each = _per_item(chain, expr, first, frame)
    if each is not None:
        return each
    inner = frame.fork()
    for_in: cst.CompFor | None = expr.for_in
    while for_in is not None:
        if for_in is not expr.for_in:
            chain.expressions.evaluate(for_in.iter, inner)
        chain.statements.assign(inner, for_in.target, UNKNOWN)
        for_in = for_in.inner_for_in
    values = [chain.expressions.evaluate(part, inner) for part in ((expr.key, expr.value) if isinstance(expr, cst.DictComp) else (expr.elt,))]
    if isinstance(expr, cst.DictComp):
        return UNKNOWN
    # (every item is what the element gives, its loop variables unknown: `[nn.BatchNorm1d(h) for _ in range(n)]`)
    return Chain((GAP,), Tensor(), False, (values[0],) if values[0] is not UNKNOWN else None)


def _per_item(chain: "ChainAnalysis", expr: cst.ListComp | cst.GeneratorExp | cst.DictComp | cst.SetComp,
              iterated: Any, frame: "Frame") -> tuple | None:
    """``[block(x) for block in chain.blocks]`` over a list known item by item (``iterated``, an ``nn.ModuleList``
    of layers): the element for each item, as a tuple (what ``torch.cat`` of it adds up); None otherwise."""
    for_in = expr.for_in
    if not isinstance(expr, (cst.ListComp, cst.GeneratorExp)) or for_in.inner_for_in is not None or for_in.ifs \
            or not isinstance(for_in.target, cst.Name):
        return None
    items = _concrete_items(iterated)
    if not items or len(items) > _PER_ITEM:
        return None
    values = []
    for item in items:
        inner = frame.fork()
        chain.statements.assign(inner, for_in.target, item)
        values.append(chain.expressions.evaluate(expr.elt, inner))
    return tuple(values)


def lambda_value(chain: "ChainAnalysis", expr: cst.Lambda, frame: "Frame") -> Any:
    """An unknown value; its body is evaluated once, with the parameters unknown, for the layers it
    builds (``head = lambda n: nn.Sequential(nn.Flatten(), nn.Linear(4096, 512), nn.BatchNorm2d(512))``)."""
    inner = frame.fork()
    params = expr.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        chain.statements.assign(inner, param.name, UNKNOWN)
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            chain.statements.assign(inner, star.name, UNKNOWN)
    chain.expressions.evaluate(expr.body, inner)
    return UNKNOWN
