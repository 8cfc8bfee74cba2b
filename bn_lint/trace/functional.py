"""Opt-in checks of direct ``torch.nn.functional.batch_norm`` calls (``functional=True``): a
``TorchFunctionMode`` sees every torch call, so this costs more than the module hooks."""
from __future__ import annotations

import sys

import torch
from torch import Tensor

from .layer_facts import _Layer, _deliberate_no_grad, _facts
from .sites import frame_site, user_frame

try:  # torch >= 2.3
    from torch.compiler import is_compiling as _is_compiling
except ImportError:  # pragma: no cover
    def _is_compiling() -> bool:
        return False


def on_functional(tracer, args, kwargs) -> None:
    """Check one ``F.batch_norm`` call that no BatchNorm module's hook has seen."""

    st = tracer._tls
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
        layer = tracer.naming.layer(bn, st.root)
    else:
        frame = user_frame(sys._getframe(1))
        if frame is None:
            return
        site = frame_site(frame)
        key = ("functional", site.path, site.line)
        layer = tracer._layers.get(key)  # type: ignore[arg-type]
        if layer is None:
            layer = _Layer(None, "F.batch_norm", site)
            tracer._layers[key] = layer  # type: ignore[index]
    if layer is None:
        return
    tracer._calls += 1
    channels = x.shape[1]
    for what in ("weight", "running_mean"):
        t = values.get(what)
        if isinstance(t, Tensor) and t.dim() == 1 and t.shape[0] != channels:
            tracer.findings.hit("BN201", layer, f"input has {channels} channels at dim 1 {tuple(x.shape)} but {what} has "
                                        f"{t.shape[0]}")
            break
    running = values.get("running_mean") is not None
    training = bool(values.get("training", False)) or not running
    if training:
        per_channel = x.numel() // channels if channels else 0
        if per_channel == 1:
            tracer.findings.hit("BN301", layer, f"1 value per channel in training {tuple(x.shape)}", error=True)
        elif 0 < per_channel < tracer.min_batch_size:
            tracer.findings.hit("BN301", layer, f"{per_channel} values per channel in training {tuple(x.shape)}, below "
                                        f"min-batch-size {tracer.min_batch_size}")
    if values.get("training") and running and not torch.is_grad_enabled() and not st.grad \
            and not _deliberate_no_grad(sys._getframe(1)):
        tracer.findings.hit("BN101", layer, "batch_norm(training=True) with running statistics under no_grad")


class FunctionalMode(torch.overrides.TorchFunctionMode):
    """Sees direct ``torch.nn.functional.batch_norm`` calls."""

    def __init__(self, tracer) -> None:
        super().__init__()
        self.tracer = tracer

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.nn.functional.batch_norm and not _is_compiling():
            try:
                on_functional(self.tracer, args, kwargs)
            except Exception as error:
                self.tracer._internal(error)
        return func(*args, **kwargs)
