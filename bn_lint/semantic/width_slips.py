"""BN201 for widths that agree only by accident: slips a reviewer flags whatever the values are.

- the BatchNorm sized by its producer's *input* width while the output width is another value
  (``nn.Linear(hidden_dim, out_dim)`` then ``BatchNorm1d(hidden_dim)``): right only while the
  two happen to be equal;
- the BatchNorm sized by another entry of the widths list the producer reads
  (``nn.Linear(dims[0], dims[1])`` then ``BatchNorm1d(dims[2])``).

Both are judged on a layer's own code (not one call site's arguments), where the widths are
symbols: values that differ provably are BN201's ordinary case (:mod:`.chain_checks`).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .chain_values import LayerValue, Tensor
from .chain_words import Verdict, _arg_text, _where, describe_bn, describe_producer
from .values import Sym, widths_equal

if TYPE_CHECKING:  # pragma: no cover
    from .model import FileModel

_PRODUCERS = ("conv", "linear", "graph")
_ITEM = re.compile(r"getitem\((.+), (\d+)\)")  # `dims[2]` of a parameter `dims` (a non-negative literal index)


def width_slip(model: "FileModel", bn: LayerValue, t: Tensor, width: Any, ref: Any) -> Verdict | None:
    """The BN201 verdict for either slip, if ``bn`` (fed ``t`` of feature width ``ref``) makes one."""
    producer = t.producer
    if bn.site is not None or producer is None or t.feat is None or producer.spec.kind not in _PRODUCERS:
        return None
    if not (isinstance(width, Sym) and isinstance(ref, Sym) and widths_equal(ref, producer.out_width)) \
            or widths_equal(width, ref):
        return None
    follows = f"{describe_bn(model, bn)} follows {describe_producer(model, producer, ref)}{_where(model, producer)}"
    given = producer.value(producer.spec.in_width)
    if widths_equal(width, given):
        return Verdict("BN201", bn.node,
                       f"{follows} but is sized by its input width ({_arg_text(model, producer, producer.spec.in_width, given)}), "
                       f"not its output width ({_arg_text(model, producer, producer.spec.out_width, ref)}): right only "
                       f"while the two are equal")
    mine, theirs = _item(width), _item(ref)
    if mine is not None and theirs is not None and mine[0] == theirs[0] and mine[1] != theirs[1]:
        return Verdict("BN201", bn.node,
                       f"{follows} but takes entry {mine[1]} of the widths list where the layer gives entry "
                       f"{theirs[1]}: right only while the two entries are equal")
    return None


def _item(width: Sym) -> tuple[str, int] | None:
    """(list, index) for a width that is one literal entry of a symbolic list."""
    if len(width.terms) != 1:
        return None
    (monomial, coefficient), = width.terms.items()
    if coefficient != 1 or len(monomial) != 1:
        return None
    match = _ITEM.fullmatch(monomial[0])
    return (match.group(1), int(match.group(2))) if match else None
