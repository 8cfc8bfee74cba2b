"""The layout a consumer gives a BatchNorm1d's input: a sequence read back as (N, L, E).

A 3-D tensor of no known layout (a model input, ``torch.randn(B, T, F)``) normalised by
``BatchNorm1d`` and then fed, with nothing reordering its axes, to a ``batch_first`` RNN or
Transformer layer was (N, L, E): the consumer reads dim 1 as the sequence, so the BatchNorm
normalised over time steps, not features (BN203). Of unknown rank, the input counts when the
norm's width is not the consumer's feature width (else it may be one unbatched (L, E) sequence).
A tensor whose features a producer put on dim 1 (a Conv1d's (N, C, L)) is not such a case: there
the consumer, not the BatchNorm, is wrong.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.shapes.values import LayerValue, Observation, Tensor
from bn_lint.semantic.syntax.constants import is_width, widths_differ, widths_equal

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.shapes.producers import ChainAnalysis

_SEQUENCE_NORMS = frozenset({"BatchNorm1d", "LazyBatchNorm1d"})


@dataclass(frozen=True)
class SequenceFeed:
    """``obs`` (a BatchNorm1d on a 3-D tensor of unknown layout) feeds ``consumer`` at ``at``."""

    obs: Observation
    consumer: LayerValue
    at: cst.CSTNode | None


def note_consumer(analysis: "ChainAnalysis", consumer: LayerValue, t: Tensor, at: cst.CSTNode | None) -> None:
    """Record the BatchNorm1d outputs a features-last consumer (``batch_first=True``) reads as (N, L, E)."""
    bn = t.producer
    if bn is None or bn.spec.name not in _SEQUENCE_NORMS or t.feat != 1 or t.rank not in (3, None):
        return
    expected = consumer.value(consumer.spec.in_width)
    width = bn.value(bn.spec.in_width)
    for obs in analysis.observations.get(bn.node, ()):
        given = obs.tensor
        if obs.bn is not bn or given.rank not in (3, None) or given.feat is not None:
            continue
        if given.rank == 3 and is_width(expected) and is_width(given.size(2)) \
                and widths_differ(expected, given.size(2), analysis.positive):
            continue  # the consumer does not take this last axis as its features
        if given.rank is None and not (is_width(width) and is_width(expected) and not widths_equal(width, expected)):
            # (of unknown rank, the input may be one unbatched (L, E) sequence, BatchNorm1d(E) right on it;
            # a norm whose width is not the consumer's feature width can only be on the (N, L, E) axis 1)
            continue
        feed = SequenceFeed(obs, consumer, at)
        if feed not in analysis.sequence_feeds:
            analysis.sequence_feeds.append(feed)
