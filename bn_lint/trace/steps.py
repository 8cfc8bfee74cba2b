"""What the tracer checks at each ``optimizer.step()`` (a global step pre-hook), per model whose
parameters that optimizer trains:

- BN105: BatchNorm layers in training mode whose affine parameters are frozen (``requires_grad``
  False) or in no optimizer's param groups, and whose running statistics moved (training-mode
  calls with grad enabled) since the last step: reported at the line that built the optimizer. A
  frozen encoder run under ``no_grad`` inside the training step (a momentum/target encoder) is not.
- BN103: BatchNorm layers in eval mode, in a model that is in eval mode as a whole (``model.eval()``,
  not a freeze of BatchNorm submodules), that were trained in training mode earlier in the run
  and were called with grad since the last step: an evaluation left the model in eval mode.
  Reported at the line that called ``eval()`` on the model (else at the model call).

While tracing, ``Optimizer.__init__`` is wrapped to record the user's line that built each optimizer
and ``Module.train`` to record where a module was last put in eval mode (outermost call only).
Nothing here reads a tensor: flags, counters and parameter identities only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import functools
import sys
import threading
import weakref

import torch
from torch.optim import optimizer as _optim

from .report import Record, Site
from .sites import frame_site, note_construction, user_frame

if TYPE_CHECKING:  # pragma: no cover
    from .core import Tracer

Optimizer = _optim.Optimizer
Module = torch.nn.Module

OPTIMIZER_SITES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # optimizer -> Site
EVAL_SITES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # module -> Site of its last .eval()
_USERS: list = []
_lock = threading.Lock()
_saved: dict = {}
_depth = threading.local()


def _init(self, *args, **kwargs):
    _saved["init"](self, *args, **kwargs)
    note_construction(OPTIMIZER_SITES, self, sys._getframe(1))


def _train(self, mode: bool = True):
    outer = not getattr(_depth, "n", 0)
    if outer and not mode:
        try:
            frame = user_frame(sys._getframe(1))
            if frame is not None:
                EVAL_SITES[self] = frame_site(frame)
        except Exception:
            pass
    _depth.n = getattr(_depth, "n", 0) + 1
    try:
        return _saved["train"](self, mode)
    finally:
        _depth.n -= 1


def install(tracer) -> None:
    with _lock:
        if not _USERS:
            _saved["init"] = Optimizer.__dict__["__init__"]
            _saved["train"] = Module.__dict__["train"]
            Optimizer.__init__ = functools.wraps(_saved["init"])(_init)  # signatures stay torch's
            Module.train = functools.wraps(_saved["train"])(_train)
        _USERS.append(tracer)


def remove(tracer) -> None:
    with _lock:
        if tracer in _USERS:
            _USERS.remove(tracer)
            if not _USERS:
                Optimizer.__init__ = _saved["init"]
                Module.train = _saved["train"]


class TraceSteps:
    """A part of ``Tracer`` (``tracer.steps``): the optimizer-step checks (state in the tracer, set up by ``steps_init``)."""

    def __init__(self, tracer: "Tracer") -> None:
        self.tracer = tracer

    def steps_init(self) -> None:
        self.tracer._roots: dict[int, tuple] = {}  # id(model) -> (weakref(model), [layers]) for models with BatchNorm
        self.tracer._optimizers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # -> (groups, n, ids)
        self.tracer._trains: dict[tuple, bool] = {}  # (id(model), id(optimizer)) -> the optimizer trains the model
        self.tracer._steps = 0
        self.tracer._union = None  # (optimizers counted, the ids of all their parameters)

    def steps_start(self) -> None:
        install(self.tracer)
        self.tracer._handles.append(_optim.register_optimizer_step_pre_hook(self._step_hook))

    def note_root(self, layer, root) -> None:
        """A new layer first called under ``root`` (the traced model, or the top-level module called)."""
        if root is None:
            return
        entry = self.tracer._roots.get(id(root))
        if entry is None or entry[0]() is not root:
            entry = self.tracer._roots[id(root)] = (weakref.ref(root), [])
            for key in [k for k in self.tracer._trains if k[0] == id(root)]:
                del self.tracer._trains[key]
        entry[1].append(layer)

    def _params_of(self, optimizer) -> set:
        groups = optimizer.param_groups
        n = sum(len(g["params"]) for g in groups)
        known = self.tracer._optimizers.get(optimizer)
        if known is None or known[0] != len(groups) or known[1] != n:
            known = (len(groups), n, {id(p) for g in groups for p in g["params"]})
            self.tracer._optimizers[optimizer] = known
            self.tracer._union = None
            for key in [k for k in self.tracer._trains if k[1] == id(optimizer)]:
                del self.tracer._trains[key]
        return known[2]

    def _all_params(self) -> set:
        """Every parameter of every optimizer built while tracing or stepped (rebuilt when one changes)."""
        optimizers = list(OPTIMIZER_SITES.keys()) + list(self.tracer._optimizers.keys())
        for optimizer in optimizers:
            self._params_of(optimizer)  # notes a change of its param groups (drops the union)
        if self.tracer._union is None or self.tracer._union[0] != len(optimizers):
            ids: set = set()
            for optimizer in optimizers:
                ids |= self._params_of(optimizer)
            self.tracer._union = (len(optimizers), ids)
        return self.tracer._union[1]

    def _step_hook(self, optimizer, args, kwargs):
        if not self.tracer._active or not self.tracer._roots:
            return None
        try:
            self._on_step(optimizer)
        except Exception as error:  # never raise into the user's program
            self.tracer._internal(error)
        return None

    def _on_step(self, optimizer) -> None:
        self.tracer._steps += 1
        params = self._params_of(optimizer)
        everything = None
        for key, (ref, layers) in list(self.tracer._roots.items()):
            root = ref()
            if root is None:
                del self.tracer._roots[key]
                continue
            trains = self.tracer._trains.get((key, id(optimizer)))
            if trains is None:
                trains = self.tracer._trains[(key, id(optimizer))] = any(id(p) in params for p in root.parameters())
            frozen, left = [], []
            if not trains:
                continue  # its counters wait for the optimizer that trains it (a GAN's other optimizer)
            for layer in layers:
                m = layer.ref()
                moved = layer.grad_calls != layer.stepped  # with grad: a no-grad target/momentum encoder is not
                layer.stepped = layer.grad_calls  # frozen by mistake (MoCo, DINO, BYOL keep BatchNorm training)
                left_eval = layer.left_eval != layer.left_checked
                layer.left_checked = layer.left_eval
                if m is None:
                    continue
                if m.training:
                    if moved and m.momentum != 0 and m.track_running_stats:
                        own = [p for p in m._parameters.values() if p is not None]
                        if own and not any(p.requires_grad and id(p) in params for p in own):
                            if not any(p.requires_grad for p in own):  # frozen: no optimizer updates them
                                frozen.append(layer)
                                continue
                            if everything is None:  # trainable, not in this optimizer: in another one?
                                everything = self._all_params()
                            if not any(p.requires_grad and id(p) in everything for p in own):
                                frozen.append(layer)
                elif left_eval and not root.training:
                    left.append(layer)
            if frozen:
                self._step_record("BN105", root, frozen, self._optimizer_site(optimizer),
                                  "in training mode with frozen affine parameters (requires_grad=False, or in no "
                                  "optimizer's param groups) while this optimizer trains the model: their running "
                                  "statistics keep moving with every batch although the layers are meant to be "
                                  "frozen; put them in eval mode after each model.train() (e.g. override train()), "
                                  "or train their parameters too")
            if left:
                site = EVAL_SITES.get(root) or left[0].left_site
                if site is not None:
                    self._step_record("BN103", root, left, site,
                                      "trained (optimizer.step) in eval mode: the model was put in eval mode by "
                                      "earlier code (e.g. an evaluation) after training in training mode, and no "
                                      "model.train() brought it back, so these BatchNorm layers use and keep frozen "
                                      "running statistics; call model.train() before the next training step")

    def _optimizer_site(self, optimizer) -> Site | None:
        site = OPTIMIZER_SITES.get(optimizer)
        if site is None:  # built before tracing: the step() call
            frame = user_frame(sys._getframe(3))
            site = frame_site(frame) if frame is not None else None
        return site

    def _step_record(self, code: str, root, layers: list, site: Site | None, detail: str) -> None:
        if site is None:
            return
        label = self.tracer.name if self.tracer.model is not None else type(root).__name__
        key = (code, site.path, site.line, label)
        with self.tracer._lock:
            record = self.tracer._records.get(key)
            new = record is None
            if new:
                kind = type(self.tracer.model if self.tracer.model is not None else root).__name__
                record = self.tracer._records[key] = Record(code, "error" if code == "BN103" else "warning", label, kind,
                                                     site, detail, grouped=True, count=0)
                self.tracer._group_layers[key] = {}
            record.count += 1
            members = self.tracer._group_layers[key]
            for layer in layers:
                if id(layer) not in members:
                    members[id(layer)] = layer
                    name = layer.name
                    below = name[len(label) + 1:] if name.startswith(label + ".") else ("" if name == label else name)
                    if below:
                        record.layers.append(below)
                    record.layer_sites.append((layer.site.path, layer.site.line))
        if new:
            self.tracer.findings.announce(record)
