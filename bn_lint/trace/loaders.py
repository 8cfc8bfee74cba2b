"""DataLoaders seen by the tracer (BN302): where each was built, which one yielded the batch now
being trained on, and, at its first iteration, whether its last batch will hold exactly one sample.

While a tracer is active, ``DataLoader.__init__`` records the user's line that built the loader,
``DataLoader.__iter__`` tells the tracers that a loader starts an epoch, and
``_BaseDataLoaderIter.__next__`` notes (per thread) which loader's iterator yielded the latest
batch: one Python call per batch, no tensor is touched. The patches are shared by nested
tracers and removed with the last one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import functools
import sys
import threading
import weakref

import torch
from torch.utils.data import dataloader as _dl

from .sites import frame_site, note_construction, user_frame

if TYPE_CHECKING:  # pragma: no cover
    from .core import Tracer

DataLoader = _dl.DataLoader
_BatchSampler = _dl.BatchSampler
_Iter = _dl._BaseDataLoaderIter

SITES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # loader -> Site of its construction
INFO: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # loader -> LoaderInfo, at its first iteration
INFO_OF: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # iterator -> its loader's LoaderInfo
_TRACERS: list = []
_lock = threading.Lock()
_saved: dict = {}


def _init(self, *args, **kwargs):
    _saved["init"](self, *args, **kwargs)
    note_construction(SITES, self, sys._getframe(1))


class LoaderInfo:
    """What the tracer needs of a loader (the iterator of ``for x in DataLoader(...)`` outlives it)."""

    __slots__ = ("site", "last", "__weakref__")

    def __init__(self, site, last) -> None:
        self.site = site  # Site of its construction (or of its first iteration), or None
        self.last = last  # (samples, batch_size) when its last batch holds one sample, else None


def _iter(self):
    iterator = _saved["iter"](self)
    try:
        info = INFO.get(self)
        if info is None:
            site = SITES.get(self)
            if site is None:  # built before tracing started: the line that iterates it
                frame = user_frame(sys._getframe(1))
                site = frame_site(frame) if frame is not None else None
            info = INFO[self] = LoaderInfo(site, last_batch(self))
        INFO_OF[iterator] = info
        for tracer in list(_TRACERS):
            tracer.batches._loader_started(info)
    except Exception:
        pass
    return iterator


def _next(self):
    data = _saved["next"](self)
    for tracer in _TRACERS:
        tracer._tls.batch_from = self
    return data


def install(tracer) -> None:
    with _lock:
        if not _TRACERS:
            _saved["init"] = DataLoader.__dict__["__init__"]
            _saved["iter"] = DataLoader.__dict__["__iter__"]
            _saved["next"] = _Iter.__dict__["__next__"]
            # wrapped: inspect.signature(DataLoader.__init__) still gives torch's (Lightning re-creates loaders so)
            DataLoader.__init__ = functools.wraps(_saved["init"])(_init)
            DataLoader.__iter__ = functools.wraps(_saved["iter"])(_iter)
            _Iter.__next__ = functools.wraps(_saved["next"])(_next)
        _TRACERS.append(tracer)


def remove(tracer) -> None:
    with _lock:
        if tracer in _TRACERS:
            _TRACERS.remove(tracer)
            if not _TRACERS:
                DataLoader.__init__ = _saved["init"]
                DataLoader.__iter__ = _saved["iter"]
                _Iter.__next__ = _saved["next"]


def last_batch(loader):
    """(samples, batch_size) when the loader's last batch of an epoch holds exactly one sample, else None:
    from the sampler's length (the dataset's for the default sampler), ``batch_size`` and ``drop_last``."""
    size, drop, sampler = loader.batch_size, loader.drop_last, loader.sampler
    batches = loader.batch_sampler
    if size is None and type(batches) is _BatchSampler:  # batch_sampler=BatchSampler(sampler, size, drop_last)
        size, drop, sampler = batches.batch_size, batches.drop_last, batches.sampler
    if size is None or size < 2 or drop:
        return None  # no automatic batching, a custom batch_sampler, or batches of one anyway (BN301)
    try:
        n = len(sampler)
    except TypeError:  # an IterableDataset, or a sampler without a length
        return None
    if n % size != 1:
        return None
    return n, size


def is_last(iterator) -> bool:
    """Whether ``iterator`` has just yielded its epoch's last batch."""
    try:
        return iterator._num_yielded == len(iterator)
    except Exception:
        return False


class TraceBatches:
    """A part of ``Tracer`` (``tracer.batches``): BN302 from one-sample training batches and from loaders (state in the
    tracer)."""

    def __init__(self, tracer: "Tracer") -> None:
        self.tracer = tracer

    def one_sample(self, layer, shape, st) -> None:
        """BN302: a batch of one sample in training mode (the values per channel come from H, W or L);
        counted on the loader's record when it is the last batch of a loader already reported."""
        if not torch.is_grad_enabled() or self._probing(st):
            return  # not a training step: a shape probe, or a no-grad call (BN101's business)
        iterator = st.batch_from
        if iterator is not None and self.tracer._predicted and st.root is not None and is_last(iterator):
            info = INFO_OF.get(iterator)
            if info is not None and self.tracer._predicted.get(id(info)) is info:
                st.codes = f"{st.codes} BN302" if st.codes else "BN302"
                self.tracer.findings.group_hit("BN302", layer, self._loader_detail(info), False, st, info.site)
                return
        self.tracer.findings.hit("BN302", layer, f"a batch of one sample {tuple(shape)} reached BatchNorm in training mode: its "
                                  "statistics come from that one sample (and BatchNorm1d on (1, C) raises); a "
                                  "DataLoader whose len(dataset) % batch_size == 1 ends each epoch so: use "
                                  "drop_last=True", st=st)

    def _probing(self, st) -> bool:
        """The model call runs inside a module's ``__init__``: one dummy sample that works out a shape."""
        frame = user_frame(st.root_frame) if st.root_frame is not None else None
        if frame is None:
            return False
        code = frame.f_code
        return code.co_name == "__init__" and code.co_varnames[:1] == ("self",) and \
            isinstance(frame.f_locals.get("self"), torch.nn.Module)

    def _loader_started(self, info) -> None:
        """``iter(loader)``: note a loader whose last batch will hold one sample, until a training call."""
        if info.last is not None and info.site is not None and info not in self.tracer._loaders_seen:
            self.tracer._loaders_seen.add(info)
            self.tracer._pending_loaders[id(info)] = info

    def loader_trains(self, layer, st) -> None:
        """A training-mode BatchNorm call (with grad) on a batch of a loader noted by ``_loader_started``:
        BN302 at the loader's construction line, at the start of its first epoch."""
        iterator = st.batch_from
        info = INFO_OF.get(iterator) if iterator is not None else None
        if info is None or st.root is None or self.tracer._pending_loaders.pop(id(info), None) is not info:
            return
        self.tracer._predicted[id(info)] = info
        # a prediction (count 0): the one-sample batches, when they come, are counted on it
        self.tracer.findings.group_hit("BN302", layer, self._loader_detail(info), False, st, info.site, count=0)

    @staticmethod
    def _loader_detail(info) -> str:
        samples, size = info.last
        return (f"trained on a DataLoader of {samples} samples in batches of {size} without drop_last: the last batch "
                "of every epoch holds one sample, so BatchNorm's statistics come from one sample (BatchNorm1d on "
                "(1, C) raises 'Expected more than 1 value per channel when training'); use drop_last=True")

