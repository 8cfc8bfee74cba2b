"""Training loaders whose batches are too small for BatchNorm (RULES.md, BN301).

A loader of this file with a known batch size below the minimum that trains a
BatchNorm model (certainly, or a training loader in a project that builds BatchNorm).
Left to other rules: a last batch of one sample (BN302) and a distributed loader
with more than one sample per device (BN304); left out: SyncBatchNorm under DDP,
whose batch is the global one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from bn_lint.semantic.batching.loader_use import Guess, guess_training

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.batching.analysis import BatchAnalysis, Loader, Size


@dataclass(frozen=True)
class TinyLoader:
    """A loader training with ``size`` samples per batch (per device when ``distributed``)."""

    loader: "Loader"
    size: "Size"
    guess: Guess  # how it is known to train a BatchNorm model
    distributed: bool


def tiny_training_loaders(batches: "BatchAnalysis", minimum: int) -> Iterator[TinyLoader]:
    """Each loader of the file that trains a BatchNorm model with fewer than ``minimum`` samples a batch."""
    for loader in batches.loaders:
        size = loader.batch
        if size is None or not 1 <= size.value < minimum:
            continue
        length = loader.length
        if size.value > 1 and length is not None and loader.drop_last is False and length.value % size.value == 1 \
                and length.value > size.value and not loader.distributed:
            continue  # BN302 says it: the last batch holds one sample
        guess = guess_training(batches, loader)
        if guess is None:
            continue
        training = loader.bn_training
        distributed = loader.distributed or (training.ddp if training is not None
                                             else not guess.certain and batches.distributed_anywhere())
        if distributed and batches.uses_sync_batchnorm:
            continue  # SyncBatchNorm: the global batch counts, and the world size is unknown
        if distributed and size.value > 1:
            continue  # BN304 says it with the DDP advice
        yield TinyLoader(loader, size, guess, distributed)
