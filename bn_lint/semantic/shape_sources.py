"""Where tensors of known shape come from, beyond torch's factories: calls the chain analysis
evaluates with a table (see :mod:`.chains`).

- model summaries that run a model on an input of a stated size: ``torchsummary.summary(model,
  (1, 300))`` feeds (2, 1, 300) (the size without the batch axis), ``torchinfo.summary(model,
  (16, 3, 32, 32))`` the size as given;
- module methods that return the module itself (``model.to(device)``, ``.cuda()``, ``.eval()``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from .chain_values import _concrete_items, _is_module, _numeric, make_tensor
from .values import UNKNOWN

if TYPE_CHECKING:  # pragma: no cover
    from .chains import ChainAnalysis, Frame

NOT_HANDLED: Any = object()

# summary function -> (keyword of the input size, whether the size includes the batch axis)
SUMMARIES: dict[str, tuple[str, bool]] = {
    "torchsummary.summary": ("input_size", False),
    "torchsummary.torchsummary.summary": ("input_size", False),
    "torchinfo.summary": ("input_size", True),
    "torchinfo.torchinfo.summary": ("input_size", True),
}

# module methods that return the module they are called on
SELF_RETURNING = frozenset({
    "to", "cuda", "cpu", "float", "double", "half", "bfloat16", "train", "eval", "requires_grad_", "type",
    "to_empty", "share_memory",
})


def torch_call(analysis: "ChainAnalysis", qn: str, call: cst.Call, frame: "Frame") -> Any:
    """The value of a call of ``qn`` this table knows, after applying what it applies; else NOT_HANDLED."""
    if qn in SUMMARIES:
        keyword, batched = SUMMARIES[qn]
        args, kwargs, lost = analysis._args(call, frame)
        module = args[0] if args else kwargs.get("model", UNKNOWN)
        size = args[1] if len(args) > 1 else kwargs.get(keyword, UNKNOWN)
        sizes = _concrete_items(size) if isinstance(size, tuple) else None
        if not lost and _is_module(module) and sizes and all(_numeric(s) for s in sizes):
            shape = list(sizes) if batched else [2, *sizes]  # (torchsummary runs a batch of 2)
            analysis._apply(module, make_tensor(len(shape), dict(enumerate(shape)), None, None, False, call), at=call)
        return UNKNOWN
    return NOT_HANDLED


def module_method(module: Any, method: str) -> Any:
    """``module.method(...)`` when it returns ``module`` itself; else NOT_HANDLED."""
    if method in SELF_RETURNING and _is_module(module):
        return module
    return NOT_HANDLED
