"""BN201 for widths that agree only by accident: slips a reviewer flags whatever the values are.

- the BatchNorm sized by its producer's *input* width while the output width is another value
  (``nn.Linear(hidden_dim, out_dim)`` then ``BatchNorm1d(hidden_dim)``): right only while the
  two happen to be equal;
- the BatchNorm sized by another entry of the widths list the producer reads
  (``nn.Linear(dims[0], dims[1])`` then ``BatchNorm1d(dims[2])``);
- the BatchNorm sized by a number written out where the producer's output width is a parameter
  whose default is that number (``nn.Linear(in_dim, hidden_dim)`` then ``BatchNorm1d(2048)`` in a
  ``def __init__(self, ..., hidden_dim=2048)``): right only while the parameter keeps its default;
- the BatchNorm sized by another parameter of the builder than the producer's output width, one another
  layer is given too (``nn.Conv2d(in_channels, bottleneck_channels)`` then ``BatchNorm2d(out_channels)``, and
  ``nn.Conv2d(bottleneck_channels, out_channels)``): right only while the two are equal.

All are judged on a layer's own code (not one call site's arguments), where the widths are
symbols: values that differ provably are BN201's ordinary case (:mod:`.chain_checks`).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import given_values
from bn_lint.semantic.shapes.values import LayerValue, Tensor
from bn_lint.semantic.shapes.words import Verdict, _arg_text, _where, describe_bn, describe_producer
from bn_lint.semantic.shapes.producers import chains_of
from bn_lint.semantic.syntax.constants import Sym, is_width, literal_number, widths_equal

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

_PRODUCERS = ("conv", "linear", "graph")
_ITEM = re.compile(r"getitem\((.+), (\d+)\)")  # `dims[2]` of a parameter `dims` (a non-negative literal index)


def width_slip(model: "FileModel", bn: LayerValue, t: Tensor, width: Any, ref: Any) -> Verdict | None:
    """The BN201 verdict for either slip, if ``bn`` (fed ``t`` of feature width ``ref``) makes one."""
    producer = t.producer
    if bn.site is not None or producer is None or t.feat is None or producer.spec.kind not in _PRODUCERS:
        return None
    if not (is_width(width) and is_width(ref) and widths_equal(ref, producer.out_width)) or widths_equal(width, ref):
        return None
    follows = f"{describe_bn(model, bn)} follows {describe_producer(model, producer, ref)}{_where(model, producer)}"
    if not isinstance(width, Sym):
        return _default_written_out(model, bn, follows, width, ref)
    if not isinstance(ref, Sym) and not widths_equal(width, producer.value(producer.spec.in_width)):
        return None
    given = producer.value(producer.spec.in_width)
    if widths_equal(width, given):
        return Verdict("BN201", bn.node,
                       f"{follows} but is sized by its input width ({_arg_text(model, producer, producer.spec.in_width, given)}), "
                       f"not its output width ({_arg_text(model, producer, producer.spec.out_width, ref)}): right only "
                       f"while the two are equal")
    mine, theirs = _item(width), _item(ref) if isinstance(ref, Sym) else None
    if mine is not None and theirs is not None and mine[0] == theirs[0] and mine[1] != theirs[1]:
        return Verdict("BN201", bn.node,
                       f"{follows} but takes entry {mine[1]} of the widths list where the layer gives entry "
                       f"{theirs[1]}: right only while the two entries are equal")
    mine, theirs = _parameter(width), _parameter(ref)
    if mine is not None and theirs is not None and mine != theirs and mine.partition("@")[2] == theirs.partition("@")[2] \
            and _sizes_another_layer(model, bn, mine.partition("@")[0]):
        return Verdict("BN201", bn.node,
                       f"{follows} but is sized by `{mine.partition('@')[0]}`, another parameter than the layer's "
                       f"output width (`{theirs.partition('@')[0]}`): right only while the two are equal")
    return None


def _sizes_another_layer(model: "FileModel", bn: LayerValue, name: str) -> bool:
    """Whether the parameter ``name`` the BatchNorm is sized by is given to another layer of the same builder too
    (``nn.Conv2d(bottleneck_channels, out_channels)``): the width of another tensor, not one meant for the norm."""
    func = next((a for a in model.ancestors(bn.node) if isinstance(a, cst.FunctionDef)), None) if bn.node is not None \
        else None
    return func is not None and any(
        call is not bn.node and any(isinstance(arg.value, cst.Name) and arg.value.value == name for arg in call.args)
        for call in model.nodes_of(func, cst.Call))


def _parameter(width: Sym) -> str | None:
    """The atom of a width that is one parameter as it is given (``out_channels@<id>``), not arithmetic on one
    nor an entry of one."""
    if len(width.terms) != 1:
        return None
    (monomial, coefficient), = width.terms.items()
    if coefficient != 1 or len(monomial) != 1 or "@" not in monomial[0] or "(" in monomial[0] or "." in monomial[0]:
        return None
    return monomial[0]


def _item(width: Sym) -> tuple[str, int] | None:
    """(list, index) for a width that is one literal entry of a symbolic list."""
    if len(width.terms) != 1:
        return None
    (monomial, coefficient), = width.terms.items()
    if coefficient != 1 or len(monomial) != 1:
        return None
    match = _ITEM.fullmatch(monomial[0])
    return (match.group(1), int(match.group(2))) if match else None


def _default_written_out(model: "FileModel", bn: LayerValue, follows: str, width: Any, ref: Any) -> Verdict | None:
    """The third slip: ``width`` is a literal in the BatchNorm's code, ``ref`` one parameter of the
    producer's builder whose default is that literal."""
    written = bn.args.get("num_features")
    if written is None or literal_number(written) != width or len(ref.terms) != 1:
        return None
    (monomial, coefficient), = ref.terms.items()
    default = chains_of(model).defaults.get(monomial[0]) if coefficient == 1 and len(monomial) == 1 else None
    if default is None or default[0] != width:
        return None
    name = monomial[0].partition("@")[0]
    if any(given.site is not None and not given.default for given in given_values(model, default[1], name) or ()):
        return None  # (a call here gives the parameter its value: that construction's widths are the ones checked)
    return Verdict("BN201", bn.node,
                   f"{follows} but is sized by {width}, the default of `{name}` written out: right only while "
                   f"`{name}` keeps its default")
