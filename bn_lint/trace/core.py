"""The runtime tracer: hooks on module calls, BatchNorm checked from tensor metadata only.

A global forward pre-hook sees every BatchNorm call, whenever the layer was created; a global
``always_call`` forward hook closes each top-level model call (grouping, BN403), notes the
outputs of features-last modules (BN203, ``layout``) and samples running statistics
(``stats``). While tracing, ``_BatchNorm.__init__`` is wrapped to record the user's line that
built each layer (``sites``); DataLoaders are followed for BN302 (``loaders``: the loader of the
batch in training, and whether its last batch holds one sample) and a global optimizer step
pre-hook checks frozen and eval-mode BatchNorm of the models it trains (``steps``: BN105, BN103).
Hooks return None and swallow their own errors.
"""
from __future__ import annotations

import sys
import threading
import warnings
import weakref

import torch
from torch import Tensor
from torch.nn.modules import batchnorm as _bn
from torch.nn.modules import module as _module

from . import layout, loaders, stats, steps
from .report import Record, Site, TraceReport, drop_suppressed
from .findings import _UNSET, GROUPED, TraceFindings  # noqa: F401  (GROUPED re-exported)
from .layer_facts import _VARIANT, _Layer, _State, _deliberate_no_grad, _facts  # noqa: F401  (kept importable)
from .naming import TraceNaming
from .steps import TraceSteps
from .sites import patch_init, unpatch_init

_BatchNorm = _bn._BatchNorm
VAR_LOW, VAR_HIGH = stats.VAR_LOW, stats.VAR_HIGH  # kept importable from here

try:  # torch >= 2.3
    from torch.compiler import is_compiling as _is_compiling
except ImportError:  # pragma: no cover
    def _is_compiling() -> bool:
        return False


class Tracer:
    """Traces BatchNorm calls while active. Use as a context manager; ``report`` is filled on exit.

    ``model``: trace only this model's BatchNorm layers and name them ``<name>.<path>``.
    ``functional``: also check direct ``torch.nn.functional.batch_norm`` calls (slower: a
    ``TorchFunctionMode`` sees every torch call). ``gather``: under ``torch.distributed``, merge
    every rank's findings on exit (a collective: all ranks must leave the block).
    ``stats_every``: sample each layer's running statistics every N training calls (0: never).
    ``on_finding``: called with each new ``Finding`` when it is first seen (live output).

    It holds the trace's state and installs the hooks; its parts, one per concern, reach the state and each other
    through it: ``findings`` (recording hits), ``naming`` (module paths), ``steps`` (training steps seen),
    ``batches`` (loaders and their last batches), ``layouts`` (the layout of what feeds each BatchNorm).
    """

    def __init__(self, model=None, *, min_batch_size: int = 8, functional: bool = False, name: str = "model",
                 gather: bool = True, stats_every: int = 10, on_finding=None) -> None:
        if min_batch_size < 1:
            raise ValueError("min_batch_size must be at least 1")
        if stats_every < 0:
            raise ValueError("stats_every must be 0 (off) or more")
        self.findings = TraceFindings(self)
        self.naming = TraceNaming(self)
        self.steps = TraceSteps(self)
        self.batches = loaders.TraceBatches(self)
        self.layouts = layout.TraceLayouts(self)
        self.model = model
        self.name = name
        self.min_batch_size = min_batch_size
        self.functional = functional
        self.gather = gather
        self.on_finding = on_finding
        self.report = TraceReport(stats_every=stats_every)
        self._recorder = stats.Recorder(stats_every)
        self._records: dict[tuple, Record] = {}
        self._record_layers: dict[tuple, _Layer] = {}
        self._group_layers: dict[tuple, dict] = {}  # grouped record -> {id(layer): layer}
        self._group_calls: dict[tuple, int] = {}
        self._layers: dict = {}
        self._names: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
        self._frozen_roots: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
        self._tls = _State()
        self._handles: list = []
        self._mode = None
        self._active = False
        self.merged_rank: int | None = None  # this rank, once the ranks' reports were merged
        self._peers = None  # (rank, the other ranks' reports) once exchanged
        self._guard = None
        self._calls = 0
        self._root_calls = 0
        self._errors: list[str] = []
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        self._loaders_seen: "weakref.WeakSet" = weakref.WeakSet()
        self._pending_loaders: dict[int, loaders.LoaderInfo] = {}  # last batch of one, no training call yet
        self._predicted: dict[int, loaders.LoaderInfo] = {}  # the same, once reported (one-sample batches count)
        self.steps.steps_init()

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> TraceReport:
        self.start()
        return self.report

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.stop(gather=self.gather and exc_type is None)
        return False  # the user's exception, if any, goes on unchanged

    @property
    def active(self) -> bool:
        return self._active

    def start(self) -> "Tracer":
        if self._active:
            raise RuntimeError("this tracer is already active")
        patch_init()
        try:
            loaders.install(self)
            self.steps.steps_start()
            self._handles.append(_module.register_module_forward_pre_hook(self._pre_hook))
            try:
                self._handles.append(_module.register_module_forward_hook(self._post_hook, always_call=True))
            except TypeError:  # pragma: no cover - torch without always_call
                self._handles.append(_module.register_module_forward_hook(self._post_hook))
            if self.gather:
                from .distributed import DestroyGuard

                self._guard = DestroyGuard(self)
                self._guard.install()
            if self.functional:
                from .functional import FunctionalMode

                self._mode = FunctionalMode(self)
                self._mode.__enter__()
        except BaseException:
            self._remove()
            raise
        self._active = True
        return self

    def _remove(self) -> None:
        if self._guard is not None:
            self._guard.remove()
            self._guard = None
        while self._handles:
            self._handles.pop().remove()
        loaders.remove(self)
        steps.remove(self)
        if self._mode is not None:
            mode, self._mode = self._mode, None
            mode.__exit__(None, None, None)
        unpatch_init()

    def stop(self, gather: bool = False) -> TraceReport:
        """Remove every hook, run the end-of-run checks and fill ``report``."""
        if not self._active:
            return self.report
        self._active = False
        self._remove()
        self.finish()
        if gather:
            from .distributed import gather as merge_ranks

            merge_ranks(self)
        return self.report

    def finish(self) -> TraceReport:
        """End-of-run checks (BN401/BN402) on the layers seen so far; fills and returns ``report``."""
        with self._lock:
            self._recorder.finish()
            layers = [layer for layer in self._layers.values()]
            ends = {id(row[0]): row for row in stats.end_rows(layers)}
            self.findings.end_records(layers, ends)
            report = self.report
            codes = self.findings.codes_by_layer()
            report.records = drop_suppressed([Record.from_dict(r.to_dict()) for r in self._records.values()])
            report.layers = len(self._layers)
            report.calls = self._calls
            report.warnings = sorted(self._warned) + [f"internal error in a hook (ignored): {e}" for e in self._errors]
            report.table = stats.layer_table(layers, ends, codes)
            report.series = stats.series(layers)
        return report

    @staticmethod
    def _new_layer(module, path: str, site: Site) -> _Layer:
        return _Layer(module, path, site)

    # -- hooks ----------------------------------------------------------------------------------

    def _pre_hook(self, module, args):
        if _is_compiling():
            return None
        try:
            st = self._tls
            if st.root is None:
                st.root, st.depth, st.grad = module, 1, torch.is_grad_enabled()
                st.root_frame, st.root_site = sys._getframe(1), _UNSET
                self._root_calls += 1
                st.call_id = self._root_calls
                st.train.clear()
                st.eval.clear()
                st.produced.clear()
                st.world = _world_size()
                if type(module).__name__ == "OptimizedModule":
                    self._warn("torch.compile'd models are not traced: BatchNorm calls inside compiled graphs "
                               "are invisible to the tracer (trace the model without torch.compile)")
            elif module is st.root:
                st.depth += 1
            if isinstance(module, _BatchNorm):
                st.current_bn, st.current_layer, st.sample_due, st.codes = module, None, False, ""
                self._on_batchnorm(module, args, st)
        except Exception as error:  # never raise into the user's program
            self._internal(error)
        return None

    def _post_hook(self, module, args, output):
        if _is_compiling():
            return None
        try:
            st = self._tls
            if module is st.current_bn:
                st.current_bn = None
                if st.sample_due:
                    st.sample_due = False
                    layer = st.current_layer
                    buffers = module._buffers
                    self._recorder.sample(layer, buffers["running_mean"], buffers["running_var"], layer.train_calls,
                                          st.batch, st.sample_mode, st.codes)
            elif st.root is not None and layout.IS_PRODUCER.get(type(module)) is not False:
                layout.note_output(module, output, st.produced)
            if module is st.root:
                st.depth -= 1
                if st.depth <= 0:
                    st.root = None
                    if st.train and st.eval:
                        self.findings.mixed_modes(module, st)
                    st.root_frame = None
                    st.produced.clear()
        except Exception as error:
            self._internal(error)
        return None

    def _on_batchnorm(self, m, args, st) -> None:
        layer = self.naming.layer(m, st.root)
        if layer is None:
            return
        self._calls += 1
        layer.calls += 1
        training = m.training
        (st.train if training else st.eval)[id(m)] = layer
        if not training and layer.train_calls and st.root is not None and not st.root.training \
                and torch.is_grad_enabled():  # a model trained before, now in eval mode as a whole (BN103)
            layer.left_eval += 1
            if layer.left_site is None:
                layer.left_site = self.findings.root_site(st)
        facts = layer.facts
        if not facts.standard or not args:
            return  # a subclass with its own forward: the tensor we see may not be the one normalised
        x = args[0]
        if not isinstance(x, Tensor):
            return
        shape = x.shape
        rank = len(shape)
        if rank:
            batch = st.batch = shape[0]
            if layer.batch_min is None or batch < layer.batch_min:
                layer.batch_min = batch
            if layer.batch_max is None or batch > layer.batch_max:
                layer.batch_max = batch
        if facts.ranks is not None and rank not in facts.ranks:
            want = " or ".join(f"{r}D" for r in facts.ranks)
            better = _VARIANT.get((rank,))
            hint = f"; use {better}" if better and not facts.lazy else (f"; use Lazy{better}" if better else "")
            self.findings.hit("BN202", layer, f"{layer.kind} expects {want} input, got {rank}D {tuple(shape)}{hint}")
            return  # PyTorch raises before anything else happens
        if rank < 2:
            return
        channels = shape[1]
        features = m.num_features
        if features and not (facts.lazy and m.has_uninitialized_params()):
            if channels != features:
                self.layouts.width(m, layer, x, st)
            elif rank == 3 and shape[2] == features and layer.layout_checks < 3:
                self.layouts.sequence_layout(layer, x, st)
        buffers = m._buffers  # direct: Module.__getattr__ costs more than the rest of this check
        mean = buffers["running_mean"] if "running_mean" in buffers else getattr(m, "running_mean", None)
        var = buffers["running_var"] if "running_var" in buffers else getattr(m, "running_var", None)
        running = mean is not None or var is not None
        layer.modes.add(("train" if torch.is_grad_enabled() else "train (no_grad)") if training else "eval")
        layer.momentum = m.momentum
        if training or not running:  # batch statistics are used
            per_channel = x.numel() // channels if channels else 0
            distributed = st.world > 1 and not facts.sync and training
            if per_channel == 1:
                self.findings.hit("BN301", layer, f"1 value per channel in training {tuple(shape)}: PyTorch raises 'Expected "
                                          "more than 1 value per channel when training'", error=True, st=st)
            elif 0 < per_channel < self.min_batch_size and not (distributed and shape[0] == per_channel):
                self.findings.hit("BN301", layer, f"{per_channel} values per channel in training {tuple(shape)}, below "
                                          f"min-batch-size {self.min_batch_size}: noisy batch statistics", st=st)
            if shape[0] == 1 and training and per_channel > 1 and not (facts.sync and st.world > 1):
                self.batches.one_sample(layer, shape, st)
            if self._pending_loaders and training and torch.is_grad_enabled():
                self.batches.loader_trains(layer, st)
            if distributed and shape[0] < self.min_batch_size:
                self.findings.hit("BN304", layer, f"per-device batch {shape[0]} < min-batch-size {self.min_batch_size} across "
                                          f"{st.world} ranks with plain {layer.kind}: statistics are per device; use "
                                          "nn.SyncBatchNorm.convert_sync_batchnorm(model)", st=st)
        if training:
            layer.train_calls += 1
            if torch.is_grad_enabled():
                layer.grad_calls += 1
        if training and running:
            layer.stats = (mean, var)
            if (not torch.is_grad_enabled() or torch.is_inference_mode_enabled()) and not st.grad:
                if m.momentum is not None and not _deliberate_no_grad(sys._getframe(1)):
                    how = "inference_mode" if torch.is_inference_mode_enabled() else "no_grad"
                    self.findings.hit("BN101", layer, f"evaluated in training mode under torch.{how}(): its BatchNorm layers "
                                              "use batch statistics and overwrite their running statistics; call "
                                              ".eval() on it first", st=st)
            if mean is not None and var is not None and self._recorder.every:
                # sampled every N training calls, and also, whatever N: a call that is a finding, and a call with
                # the smallest or largest batch so far (the batch plot shows the last short batch)
                batch = st.batch
                extreme = layer.sampled_min is None or batch < layer.sampled_min or batch > layer.sampled_max
                if extreme:
                    layer.sampled_min = batch if layer.sampled_min is None else min(batch, layer.sampled_min)
                    layer.sampled_max = batch if layer.sampled_max is None else max(batch, layer.sampled_max)
                if extreme or st.codes or self._recorder.due(layer.train_calls):
                    st.current_layer, st.sample_due = layer, True
                    st.sample_mode = "train" if torch.is_grad_enabled() and not torch.is_inference_mode_enabled() \
                        else ("train (inference_mode)" if torch.is_inference_mode_enabled() else "train (no_grad)")

    def _warn(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            warnings.warn(f"bn-lint trace: {message}", RuntimeWarning, stacklevel=2)

    def _internal(self, error: Exception) -> None:
        if len(self._errors) < 5:
            self._errors.append(f"{type(error).__name__}: {error}")


def _world_size() -> int:
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        try:
            return dist.get_world_size()
        except Exception:
            return 1
    return 1
