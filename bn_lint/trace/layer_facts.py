"""What the tracer keeps per BatchNorm class (its ranks, whether its forward is torch's) and per
layer instance, the per-thread state of the model call in progress, and which frames run a
training-mode BatchNorm without grad on purpose. Shared by the module hooks (``core``) and the
functional checks (``functional``)."""
from __future__ import annotations

import os
import threading
import weakref

from torch.nn.modules import batchnorm as _bn

from .findings import _UNSET
from .report import Site

_BatchNorm = _bn._BatchNorm

# ---------------------------------------------------------------------------------------------
# Per-variant facts, cached per class.

_RANKS = {_bn.BatchNorm1d: (2, 3), _bn.LazyBatchNorm1d: (2, 3), _bn.BatchNorm2d: (4,), _bn.LazyBatchNorm2d: (4,),
          _bn.BatchNorm3d: (5,), _bn.LazyBatchNorm3d: (5,)}
_STANDARD_FORWARD = {_BatchNorm.forward, _bn.SyncBatchNorm.forward}


class _ClassFacts:
    __slots__ = ("ranks", "standard", "sync", "lazy")

    def __init__(self, cls: type) -> None:
        self.standard = cls.forward in _STANDARD_FORWARD  # the input we see is the one normalised
        self.sync = issubclass(cls, _bn.SyncBatchNorm)
        self.lazy = issubclass(cls, _bn._LazyNormBase)
        self.ranks = None
        check = getattr(cls, "_check_input_dim", None)
        for base, ranks in _RANKS.items():
            if issubclass(cls, base) and check is base.__dict__.get("_check_input_dim"):
                self.ranks = ranks  # the rank check is torch's own, not a subclass's
                break


_FACTS: dict[type, _ClassFacts] = {}


def _facts(cls: type) -> _ClassFacts:
    facts = _FACTS.get(cls)
    if facts is None:
        facts = _FACTS[cls] = _ClassFacts(cls)
    return facts


_VARIANT = {(2,): "BatchNorm1d", (3,): "BatchNorm1d", (4,): "BatchNorm2d", (5,): "BatchNorm3d"}


class _Layer:
    """What the tracer knows about one BatchNorm instance."""

    __slots__ = ("ref", "name", "kind", "site", "facts", "calls", "train_calls", "stats", "modes", "batch_min",
                 "batch_max", "momentum", "samples", "first_bad", "first_degenerate", "layout_checks", "stepped",
                 "left_eval", "left_checked", "left_site", "sampled_min", "sampled_max", "grad_calls",
                 "__weakref__")

    def __init__(self, module, name: str, site: Site) -> None:
        self.ref = weakref.ref(module) if module is not None else _dead
        self.name = name
        self.kind = type(module).__name__ if module is not None else "functional"
        self.site = site
        self.facts = _facts(type(module)) if module is not None else None
        self.calls = 0
        self.train_calls = 0
        self.stats = None  # (running_mean, running_var) last seen in training: checked at the end
        self.modes: set[str] = set()
        self.batch_min = self.batch_max = None
        self.momentum = getattr(module, "momentum", None)
        self.samples: list[list] = []  # stats.COLUMNS rows
        self.first_bad = self.first_degenerate = None  # (sampled step, the sampled step before it)
        self.layout_checks = 0
        self.grad_calls = 0  # training calls with grad enabled
        self.stepped = 0  # grad_calls at the last optimizer step (``steps``)
        self.left_eval = self.left_checked = 0  # eval-mode calls with grad after training, and at the last step
        self.left_site = None  # the model call of the first of them
        self.sampled_min = self.sampled_max = None  # training batches with running statistics (``stats``)


class _State(threading.local):
    """Per-thread: the top-level module call in progress."""

    def __init__(self) -> None:
        self.root = None
        self.root_frame = None  # the frame that called the top-level module (torch's, until resolved)
        self.root_site = _UNSET
        self.call_id = 0
        self.depth = 0
        self.grad = True
        self.world = 1
        self.train: dict[int, _Layer] = {}
        self.eval: dict[int, _Layer] = {}
        self.current_bn = None
        self.current_layer = None
        self.sample_due = False
        self.sample_mode = "train"
        self.codes = ""  # the codes found in the BatchNorm call in progress (space-separated)
        self.batch = 0  # of the BatchNorm call in progress
        self.produced: list = []  # layout.Produced of this top-level call
        self.batch_from = None  # the DataLoader iterator that yielded the latest batch (``loaders``)


_DELIBERATE_NO_GRAD = ("update_bn", "precise_bn", "recalib", "bn_stats", "bn_calib", "calibrate_bn")


def _deliberate_no_grad(frame) -> bool:
    """Training-mode BatchNorm without grad on purpose: activation checkpointing, an
    autograd.Function's forward, or a BatchNorm statistics recalibration routine."""
    while frame is not None:
        code = frame.f_code
        if code.co_filename.endswith(os.path.join("utils", "checkpoint.py")):
            return True
        if code.co_name == "forward" and code.co_varnames[:1] == ("ctx",):
            return True
        lowered = code.co_name.lower()
        if any(word in lowered for word in _DELIBERATE_NO_GRAD):
            return True
        frame = frame.f_back
    return False


def _dead():
    return None
