"""The runtime tracer: hooks on BatchNorm calls, checked from tensor metadata only.

A global forward pre-hook (filtered by ``isinstance``) sees every BatchNorm module, whenever
it was created; a global ``always_call`` forward hook closes each top-level model call (BN403).
While tracing, ``_BatchNorm.__init__`` is wrapped to record the user's line that built each
layer. Hooks return None (they never replace an input or output) and swallow their own errors.
"""
from __future__ import annotations

import itertools
import os
import sys
import threading
import warnings
import weakref

import torch
from torch import Tensor
from torch.nn.modules import batchnorm as _bn
from torch.nn.modules import module as _module

from .report import RULES, Record, Site, TraceReport, drop_suppressed

_BatchNorm = _bn._BatchNorm
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep
_OWN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # bn_lint/
_SKIP_FILES = ("<frozen runpy>", "<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")
_RUNPY = os.sep + "runpy.py"

#: running_var below this (per channel) is "collapsed", above HIGH "exploded" (BN402).
VAR_LOW = 1e-12
VAR_HIGH = 1e8

try:  # torch >= 2.3
    from torch.compiler import is_compiling as _is_compiling
except ImportError:  # pragma: no cover
    def _is_compiling() -> bool:
        return False

# ---------------------------------------------------------------------------------------------
# Construction sites: recorded while at least one tracer is active.

_SITES: "weakref.WeakKeyDictionary[torch.nn.Module, Site]" = weakref.WeakKeyDictionary()
_patch_lock = threading.Lock()
_patch_users = 0
_saved_init = None


def _is_user_file(filename: str) -> bool:
    return not (filename.startswith(_TORCH_DIR) or filename.startswith(_OWN_DIR) or filename in _SKIP_FILES
                or filename.endswith(_RUNPY))


def _rel(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if rel.startswith("..") else rel


def _frame_site(frame) -> Site:
    code = frame.f_code
    line = frame.f_lineno or code.co_firstlineno
    column, end_line, end_column = 1, line, 0
    if hasattr(code, "co_positions") and frame.f_lasti >= 0:
        try:
            pos = next(itertools.islice(code.co_positions(), frame.f_lasti // 2, None))
            if pos[0] == line and pos[2] is not None:
                column = pos[2] + 1
                end_line = pos[1] or line
                end_column = (pos[3] + 1) if pos[3] is not None else 0
        except (StopIteration, ValueError):
            pass
    return Site(_rel(code.co_filename), line, column, end_line, end_column)


def _user_frame(frame, skip_self=None):
    """The innermost frame outside torch and bn-lint (and outside ``skip_self``'s own __init__)."""
    while frame is not None:
        code = frame.f_code
        if _is_user_file(code.co_filename):
            if not (skip_self is not None and code.co_name == "__init__"
                    and code.co_varnames[:1] == ("self",) and frame.f_locals.get("self") is skip_self):
                return frame
        frame = frame.f_back
    return None


def _recording_init(self, *args, **kwargs):
    _saved_init(self, *args, **kwargs)
    try:
        if self not in _SITES:
            frame = _user_frame(sys._getframe(1), skip_self=self)
            if frame is not None:
                _SITES[self] = _frame_site(frame)
    except Exception:  # never break a constructor
        pass


def _patch_init() -> None:
    global _patch_users, _saved_init
    with _patch_lock:
        if _patch_users == 0:
            _saved_init = _BatchNorm.__dict__["__init__"]
            _BatchNorm.__init__ = _recording_init
        _patch_users += 1


def _unpatch_init() -> None:
    global _patch_users
    with _patch_lock:
        _patch_users -= 1
        if _patch_users == 0:
            _BatchNorm.__init__ = _saved_init


# inspect.getsourcelines(cls) parses the file with ``ast``; CPython 3.11's ast is not safe to use from
# several threads at once ("AST constructor recursion depth mismatch"), so lookups are serialised.
_SOURCE_LOCK = threading.Lock()


def _class_site(cls, attr: str = "") -> Site | None:
    """``self.<attr> =`` inside ``cls`` (when given), else the ``class`` line; None for torch's classes."""
    import inspect

    try:
        with _SOURCE_LOCK:
            path = inspect.getsourcefile(cls)
            lines, start = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return None
    if path is None or not _is_user_file(os.path.abspath(path)):
        return None
    if attr and not attr.isdigit():
        needle = f"self.{attr}"
        for offset, text in enumerate(lines):
            code = text.split("#", 1)[0]
            if needle in code and code.split(needle, 1)[1].lstrip().startswith("=") \
                    and not code.split(needle, 1)[1].lstrip().startswith("=="):
                column = text.index(needle) + 1
                return Site(_rel(path), start + offset, column, start + offset, column + len(needle), exact=False)
    return Site(_rel(path), start, 1, start, 1 + len(lines[0].rstrip()), exact=False)


def _fallback_site(module, path: str, modules: dict) -> Site | None:
    """For a layer built before tracing: the nearest user-defined owner class (its ``self.x =`` line
    when it owns the layer directly, else its ``class`` line), else the layer's own class."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, -1, -1):
        owner = modules.get(".".join(parts[:cut]))
        if owner is None:
            continue
        site = _class_site(type(owner), parts[cut] if cut == len(parts) - 1 else "")
        if site is not None:
            return site
    return _class_site(type(module))


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

    __slots__ = ("ref", "name", "kind", "site", "facts", "calls", "stats", "__weakref__")

    def __init__(self, module, name: str, site: Site) -> None:
        self.ref = weakref.ref(module) if module is not None else _dead
        self.name = name
        self.kind = type(module).__name__ if module is not None else "functional"
        self.site = site
        self.facts = _facts(type(module)) if module is not None else None
        self.calls = 0
        self.stats = None  # (running_mean, running_var) last seen in training: checked at the end


class _State(threading.local):
    """Per-thread: the top-level module call in progress."""

    def __init__(self) -> None:
        self.root = None
        self.depth = 0
        self.grad = True
        self.world = 1
        self.train: dict[int, _Layer] = {}
        self.eval: dict[int, _Layer] = {}
        self.current_bn = None


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


class Tracer:
    """Traces BatchNorm calls while active. Use as a context manager; ``report`` is filled on exit.

    ``model``: trace only this model's BatchNorm layers and name them ``<name>.<path>``.
    ``functional``: also check direct ``torch.nn.functional.batch_norm`` calls (slower: a
    ``TorchFunctionMode`` sees every torch call). ``gather``: under ``torch.distributed``, merge
    every rank's findings on exit (a collective: all ranks must leave the block).
    """

    def __init__(self, model=None, *, min_batch_size: int = 8, functional: bool = False, name: str = "model",
                 gather: bool = True) -> None:
        if min_batch_size < 1:
            raise ValueError("min_batch_size must be at least 1")
        self.model = model
        self.name = name
        self.min_batch_size = min_batch_size
        self.functional = functional
        self.gather = gather
        self.report = TraceReport()
        self._records: dict[tuple, Record] = {}
        self._record_layers: dict[tuple, _Layer] = {}
        self._layers: dict[int, _Layer] = {}
        self._names: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
        self._frozen_roots: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
        self._tls = _State()
        self._handles: list = []
        self._mode = None
        self._active = False
        self.merged_rank: int | None = None  # this rank, once the ranks' reports were merged
        self._calls = 0
        self._errors: list[str] = []
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> TraceReport:
        self.start()
        return self.report

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.stop(gather=self.gather and exc_type is None)
        return False  # the user's exception, if any, goes on unchanged

    def start(self) -> "Tracer":
        if self._active:
            raise RuntimeError("this tracer is already active")
        _patch_init()
        try:
            self._handles.append(_module.register_module_forward_pre_hook(self._pre_hook))
            try:
                self._handles.append(_module.register_module_forward_hook(self._post_hook, always_call=True))
            except TypeError:  # pragma: no cover - torch without always_call
                self._handles.append(_module.register_module_forward_hook(self._post_hook))
            if self.functional:
                self._mode = _FunctionalMode(self)
                self._mode.__enter__()
        except BaseException:
            self._remove()
            raise
        self._active = True
        return self

    def _remove(self) -> None:
        while self._handles:
            self._handles.pop().remove()
        if self._mode is not None:
            mode, self._mode = self._mode, None
            mode.__exit__(None, None, None)
        _unpatch_init()

    def stop(self, gather: bool = False) -> TraceReport:
        """Remove every hook, run the end-of-run checks and fill ``report``."""
        if not self._active:
            return self.report
        self._active = False
        self._remove()
        self.finish()
        if gather:
            self._gather()
        return self.report

    def finish(self) -> TraceReport:
        """End-of-run checks (BN401/BN402) on the layers seen so far; fills and returns ``report``."""
        with self._lock:
            self._check_stats()
            report = self.report
            for key, record in self._records.items():
                layer = self._record_layers.get(key)
                if layer is not None:
                    record.layer = layer.name
            report.records = drop_suppressed(list(self._records.values()))
            report.layers = len(self._layers)
            report.calls = self._calls
            report.warnings = sorted(self._warned) + [f"internal error in a hook (ignored): {e}" for e in self._errors]
        return report

    def _gather(self) -> None:
        try:
            import torch.distributed as dist

            if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
                return
            rank = dist.get_rank()
            for record in self.report.records:
                record.ranks = (rank,)
            parts: list = [None] * dist.get_world_size()
            dist.all_gather_object(parts, self.report.to_dict())
            merged = TraceReport.merge([TraceReport.from_dict(p) for p in parts if p is not None])
            self.report.records, self.report.layers = merged.records, merged.layers
            self.report.calls, self.report.warnings = merged.calls, merged.warnings
            self.merged_rank = rank
        except Exception as error:  # a dead peer or a destroyed group: keep this rank's report
            self.report.warnings.append(f"could not merge the ranks' reports: {error}")

    # -- naming ---------------------------------------------------------------------------------

    def _layer(self, module, root) -> _Layer | None:
        layer = self._layers.get(id(module))
        if layer is not None and layer.ref() is module:
            return layer
        base = self.model if self.model is not None else root
        names = self._names.get(base)
        if names is None or id(module) not in names:
            names = self._names[base] = {id(m): (n, m) for n, m in base.named_modules()}
            if self.model is None and len(names) > 1:  # layers first seen under a smaller root get the longer path
                label = type(base).__name__
                for key, (n, m) in names.items():
                    known = self._layers.get(key)
                    if known is not None and known.ref() is m and n and known.name.count(".") < n.count(".") + 1:
                        known.name = f"{label}.{n}"
        entry = names.get(id(module))
        if entry is None and self.model is not None:
            return None  # not part of the traced model
        label = self.name if self.model is not None else type(base).__name__
        site = _SITES.get(module)
        if entry is None or entry[1] is not module:
            path = type(module).__name__
        else:
            path = f"{label}.{entry[0]}" if entry[0] else label
            if site is None:
                site = _fallback_site(module, entry[0], {n: m for n, m in names.values()})
        if site is None:  # created before tracing, by torch's own classes only: the first call's line
            frame = _user_frame(sys._getframe(1))
            site = _frame_site(frame) if frame is not None else Site("<unknown>", 1)
            site = Site(site.path, site.line, site.column, site.end_line, site.end_column, exact=False)
        layer = self._layers[id(module)] = _Layer(module, path, site)
        return layer

    # -- hooks ----------------------------------------------------------------------------------

    def _pre_hook(self, module, args):
        if _is_compiling():
            return None
        try:
            st = self._tls
            if st.root is None:
                st.root, st.depth, st.grad = module, 1, torch.is_grad_enabled()
                st.train.clear()
                st.eval.clear()
                st.world = _world_size()
                if type(module).__name__ == "OptimizedModule":
                    self._warn("torch.compile'd models are not traced: BatchNorm calls inside compiled graphs "
                               "are invisible to the tracer (trace the model without torch.compile)")
            elif module is st.root:
                st.depth += 1
            if isinstance(module, _BatchNorm):
                st.current_bn = module
                self._on_batchnorm(module, args, st)
        except Exception as error:  # never raise into the user's program
            self._internal(error)
        return None

    def _post_hook(self, module, args, output):
        if _is_compiling():
            return None
        try:
            st = self._tls
            if module is st.root:
                st.depth -= 1
                if st.depth <= 0:
                    st.root = None
                    if st.train and st.eval:
                        self._mixed_modes(module, st)
            if module is st.current_bn:
                st.current_bn = None
        except Exception as error:
            self._internal(error)
        return None

    def _on_batchnorm(self, m, args, st) -> None:
        layer = self._layer(m, st.root)
        if layer is None:
            return
        self._calls += 1
        layer.calls += 1
        training = m.training
        (st.train if training else st.eval)[id(m)] = layer
        facts = layer.facts
        if not facts.standard or not args:
            return  # a subclass with its own forward: the tensor we see may not be the one normalised
        x = args[0]
        if not isinstance(x, Tensor):
            return
        shape = x.shape
        rank = len(shape)
        if facts.ranks is not None and rank not in facts.ranks:
            want = " or ".join(f"{r}D" for r in facts.ranks)
            better = _VARIANT.get((rank,))
            hint = f"; use {better}" if better and not facts.lazy else (f"; use Lazy{better}" if better else "")
            self._hit("BN202", layer, f"{layer.kind} expects {want} input, got {rank}D {tuple(shape)}{hint}")
            return  # PyTorch raises before anything else happens
        if rank < 2:
            return
        channels = shape[1]
        features = m.num_features
        if features and channels != features and not (facts.lazy and m.has_uninitialized_params()):
            quiet = "" if (m.affine or m.track_running_stats) else " (PyTorch raises nothing here: affine=False, " \
                                                               "track_running_stats=False)"
            self._hit("BN201", layer, f"input has {channels} channels at dim 1 {tuple(shape)} but num_features="
                                      f"{features}{quiet}")
        buffers = m._buffers  # direct: Module.__getattr__ costs more than the rest of this check
        mean = buffers["running_mean"] if "running_mean" in buffers else getattr(m, "running_mean", None)
        var = buffers["running_var"] if "running_var" in buffers else getattr(m, "running_var", None)
        running = mean is not None or var is not None
        if training or not running:  # batch statistics are used
            per_channel = x.numel() // channels if channels else 0
            distributed = st.world > 1 and not facts.sync and training
            if per_channel == 1:
                self._hit("BN301", layer, f"1 value per channel in training {tuple(shape)}: PyTorch raises 'Expected "
                                          "more than 1 value per channel when training'", error=True)
            elif 0 < per_channel < self.min_batch_size and not (distributed and shape[0] == per_channel):
                self._hit("BN301", layer, f"{per_channel} values per channel in training {tuple(shape)}, below "
                                          f"min-batch-size {self.min_batch_size}: noisy batch statistics")
            if distributed and shape[0] < self.min_batch_size:
                self._hit("BN304", layer, f"per-device batch {shape[0]} < min-batch-size {self.min_batch_size} across "
                                          f"{st.world} ranks with plain {layer.kind}: statistics are per device; use "
                                          "nn.SyncBatchNorm.convert_sync_batchnorm(model)")
        if training and running:
            layer.stats = (mean, var)
            if (not torch.is_grad_enabled() or torch.is_inference_mode_enabled()) and not st.grad:
                if m.momentum is not None and not _deliberate_no_grad(sys._getframe(1)):
                    how = "inference_mode" if torch.is_inference_mode_enabled() else "no_grad"
                    self._hit("BN101", layer, f"called in training mode under torch.{how}(): evaluation with batch "
                                              "statistics that also overwrite the running statistics; call "
                                              "model.eval() first")

    def _on_functional(self, args, kwargs) -> None:
        st = self._tls
        bn = st.current_bn
        if bn is not None and _facts(type(bn)).standard:
            return  # checked by the module hook
        names = ("input", "running_mean", "running_var", "weight", "bias", "training")
        values = dict(zip(names, args))
        values.update({k: v for k, v in kwargs.items() if k in names})
        x = values.get("input")
        if not isinstance(x, Tensor) or x.dim() < 2:
            return
        if bn is not None:
            layer = self._layer(bn, st.root)
        else:
            frame = _user_frame(sys._getframe(1))
            if frame is None:
                return
            site = _frame_site(frame)
            key = ("functional", site.path, site.line)
            layer = self._layers.get(key)  # type: ignore[arg-type]
            if layer is None:
                layer = _Layer(None, "F.batch_norm", site)
                self._layers[key] = layer  # type: ignore[index]
        if layer is None:
            return
        self._calls += 1
        channels = x.shape[1]
        for what in ("weight", "running_mean"):
            t = values.get(what)
            if isinstance(t, Tensor) and t.dim() == 1 and t.shape[0] != channels:
                self._hit("BN201", layer, f"input has {channels} channels at dim 1 {tuple(x.shape)} but {what} has "
                                          f"{t.shape[0]}")
                break
        running = values.get("running_mean") is not None
        training = bool(values.get("training", False)) or not running
        if training:
            per_channel = x.numel() // channels if channels else 0
            if per_channel == 1:
                self._hit("BN301", layer, f"1 value per channel in training {tuple(x.shape)}", error=True)
            elif 0 < per_channel < self.min_batch_size:
                self._hit("BN301", layer, f"{per_channel} values per channel in training {tuple(x.shape)}, below "
                                          f"min-batch-size {self.min_batch_size}")
        if values.get("training") and running and not torch.is_grad_enabled() and not st.grad \
                and not _deliberate_no_grad(sys._getframe(1)):
            self._hit("BN101", layer, "batch_norm(training=True) with running statistics under no_grad")

    # -- findings -------------------------------------------------------------------------------

    def _hit(self, code: str, layer: _Layer, detail: str, error: bool = False) -> None:
        key = (code, id(layer))
        record = self._records.get(key)
        if record is not None:
            record.count += 1
            if error and record.severity != "error":
                record.severity, record.detail = "error", detail
            return
        severity = "error" if error else RULES[code][1].value
        frame = _user_frame(sys._getframe(1))
        first = f"{_rel(frame.f_code.co_filename)}:{frame.f_lineno}" if frame is not None else ""
        with self._lock:
            self._records.setdefault(key, Record(code, severity, layer.name, layer.kind, layer.site, detail, first))
            self._record_layers[key] = layer

    def _mixed_modes(self, root, st) -> None:
        if ("BN403", id(root)) in self._records:
            self._records[("BN403", id(root))].count += 1
            return
        if self._explicitly_frozen(root, st):
            return
        first_eval = next(iter(st.eval.values()))
        label = self.name if self.model is not None else type(root).__name__
        detail = (f"in eval mode while {len(st.train)} other BatchNorm layer{'s' if len(st.train) != 1 else ''} of "
                  f"the same {label} call {'are' if len(st.train) != 1 else 'is'} in training mode ({len(st.eval)} in "
                  "eval); call train() or eval() on the whole model")
        frame = _user_frame(sys._getframe(1))
        first = f"{_rel(frame.f_code.co_filename)}:{frame.f_lineno}" if frame is not None else ""
        self._records[("BN403", id(root))] = Record("BN403", "warning", first_eval.name, first_eval.kind,
                                                    first_eval.site, detail, first)
        self._record_layers[("BN403", id(root))] = first_eval

    def _explicitly_frozen(self, root, st) -> bool:
        """A freezing choice the code states: the eval-mode layers' parameters are frozen too, or a
        module of the model overrides ``train()`` (mode management such as ``norm_eval``)."""
        for layer in st.eval.values():
            m = layer.ref()
            if m is not None and any(p.requires_grad for p in m.parameters(recurse=False)):
                break
        else:
            return True
        known = self._frozen_roots.get(root)
        if known is None:
            known = any(type(m).train is not torch.nn.Module.train for m in root.modules())
            self._frozen_roots[root] = known
        return known

    def _check_stats(self) -> None:
        """BN401/BN402, one device transfer per device, at the end of the run."""
        pending: dict = {}
        for layer in list(self._layers.values()):
            m = layer.ref()
            stats = (m.running_mean, m.running_var) if m is not None else layer.stats
            if layer.calls == 0 or stats is None or stats[1] is None or stats[0] is None:
                continue
            mean, var = stats
            if isinstance(var, torch.nn.parameter.UninitializedBuffer) or var.is_meta or var.numel() == 0:
                continue
            with torch.no_grad():
                row = torch.stack([
                    (~torch.isfinite(mean)).sum() + (~torch.isfinite(var)).sum(),
                    (var < VAR_LOW).sum(),
                    (var > VAR_HIGH).sum(),
                ])
            pending.setdefault(var.device, []).append((layer, row, var.numel()))
        for rows in pending.values():
            values = torch.stack([r for _, r, _ in rows]).cpu().tolist()
            for (layer, _, n), (bad, low, high) in zip(rows, values):
                key401, key402 = ("BN401", id(layer)), ("BN402", id(layer))
                if bad and key401 not in self._records:
                    self._records[key401] = Record("BN401", "error", layer.name, layer.kind, layer.site,
                                                   f"running_mean/running_var hold {bad} non-finite value"
                                                   f"{'s' if bad != 1 else ''} (NaN/Inf) at the end of the run",
                                                   count=0)
                    self._record_layers[key401] = layer
                elif (low or high) and not bad and key402 not in self._records:
                    parts = []
                    if low:
                        parts.append(f"collapsed (< {VAR_LOW:g}) in {low} of {n} channels")
                    if high:
                        parts.append(f"exploded (> {VAR_HIGH:g}) in {high} of {n} channels")
                    self._records[key402] = Record("BN402", "warning", layer.name, layer.kind, layer.site,
                                                   f"running_var {' and '.join(parts)} at the end of the run", count=0)
                    self._record_layers[key402] = layer

    def _warn(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            warnings.warn(f"bn-lint trace: {message}", RuntimeWarning, stacklevel=2)

    def _internal(self, error: Exception) -> None:
        if len(self._errors) < 5:
            self._errors.append(f"{type(error).__name__}: {error}")


def _dead():
    return None


def _world_size() -> int:
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        try:
            return dist.get_world_size()
        except Exception:
            return 1
    return 1


class _FunctionalMode(torch.overrides.TorchFunctionMode):
    """Sees direct ``torch.nn.functional.batch_norm`` calls (opt-in: every torch call passes here)."""

    def __init__(self, tracer: Tracer) -> None:
        super().__init__()
        self.tracer = tracer

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.nn.functional.batch_norm and not _is_compiling():
            try:
                self.tracer._on_functional(args, kwargs)
            except Exception as error:
                self.tracer._internal(error)
        return func(*args, **kwargs)
