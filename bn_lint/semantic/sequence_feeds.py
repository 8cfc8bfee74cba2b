"""The layout a consumer gives a BatchNorm1d's input: a sequence read back as (N, L, E).

A 3-D tensor of no known layout (a model input, ``torch.randn(B, T, F)``) normalised by
``BatchNorm1d`` and then fed, with nothing reordering its axes, to a ``batch_first`` RNN or
Transformer layer was (N, L, E): the consumer reads dim 1 as the sequence, so the BatchNorm
normalised over time steps, not features (BN203). A tensor whose features a producer put on
dim 1 (a Conv1d's (N, C, L)) is not such a case: there the consumer, not the BatchNorm, is wrong.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from .chain_values import LayerValue, Observation, Tensor
from .values import is_width, widths_differ

if TYPE_CHECKING:  # pragma: no cover
    from .chains import ChainAnalysis

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
    if bn is None or bn.spec.name not in _SEQUENCE_NORMS or t.feat != 1 or t.rank != 3:
        return
    expected = consumer.value(consumer.spec.in_width)
    for obs in analysis.observations.get(bn.node, ()):
        given = obs.tensor
        if obs.bn is not bn or given.rank != 3 or given.feat is not None:
            continue
        if is_width(expected) and is_width(given.size(2)) and widths_differ(expected, given.size(2), analysis.positive):
            continue  # the consumer does not take this last axis as its features
        feed = SequenceFeed(obs, consumer, at)
        if feed not in analysis.sequence_feeds:
            analysis.sequence_feeds.append(feed)
