"""Where tensors of known shape come from, beyond torch's factories: calls the chain analysis
evaluates with a table (see :mod:`.chains`).

- model summaries that run a model on an input of a stated size: ``torchsummary.summary(model,
  (1, 300))`` feeds (2, 1, 300) (the size without the batch axis), ``torchinfo.summary(model,
  (16, 3, 32, 32))`` the size as given;
- module methods that return the module itself (``model.to(device)``, ``.cuda()``, ``.eval()``);
- weights and matrix products: ``nn.Parameter(torch.empty(i, o))`` is a weight, ``x @ W`` (or
  ``torch.matmul`` / ``mm`` / ``bmm``) has its ``o`` features last, and so has ``adj @ h`` when ``h``
  has; a rank-1 bias added keeps the shape.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.shapes.values import Tensor, _concrete_items, _is_module, _merge_tensor, _numeric, make_tensor
from bn_lint.semantic.syntax.constants import UNKNOWN

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.shapes.producers import ChainAnalysis, Frame

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


_PARAMETER = frozenset({"torch.nn.Parameter", "torch.nn.parameter.Parameter"})
# matrix products -> the rank of their result when it is fixed (None: that of the left operand)
_PRODUCTS = {"torch.matmul": None, "torch.mm": 2, "torch.bmm": 3, "torch.spmm": 2, "torch.sparse.mm": 2}


def is_weight(analysis: "ChainAnalysis", t: Any) -> bool:
    """A 2-D ``nn.Parameter`` (a layer's weight matrix, (in, out))."""
    origin = t.origin if isinstance(t, Tensor) else None
    return t.rank == 2 and isinstance(origin, cst.Call) and analysis.model.qualname(origin.func) in _PARAMETER


def product(analysis: "ChainAnalysis", a: Any, b: Any, rank: int | None, node: cst.CSTNode) -> Tensor:
    """``a @ b``: features last when ``b`` is a weight (``x @ self.W``: width W's columns) or carries
    its features last itself (``adj @ support``, ``torch.bmm(edges, h)``: each node mixes its neighbours'
    features, keeping their width)."""
    a = a if isinstance(a, Tensor) else Tensor()
    if rank is None:
        rank = a.rank
    if not isinstance(b, Tensor) or b.rank == 1:
        return make_tensor(rank, {}, None, None, False, node)
    if is_weight(analysis, b):
        width = b.size(1)
    elif b.feat is not None and (b.feat == -1 or (b.rank is not None and b.feat == b.rank - 1)):
        width = b.size(-1)
    else:
        return make_tensor(rank, {}, None, None, False, node)
    last = -1 if rank is None else rank - 1
    return make_tensor(rank, {last: width}, last, None, False, node)


def tensor_binop(analysis: "ChainAnalysis", kind: str, left: Any, right: Any, node: cst.CSTNode) -> Tensor:
    """An operator on tensors: ``@`` as :func:`product`; otherwise a bias or scale of rank 1 broadcast
    over the other operand keeps its shape (``x @ W + b``), and two tensors merge."""
    if kind == "MatrixMultiply":
        return product(analysis, left, right, None, node)
    if isinstance(left, Tensor) and isinstance(right, Tensor):
        if right.rank == 1 and left.rank != 1:
            return left.step()
        if left.rank == 1 and right.rank != 1:
            return right.step()
        return _merge_tensor(left, right)
    tensor = left if isinstance(left, Tensor) else right
    return tensor.step()


def torch_call(analysis: "ChainAnalysis", qn: str, call: cst.Call, frame: "Frame") -> Any:
    """The value of a call of ``qn`` this table knows, after applying what it applies; else NOT_HANDLED."""
    if qn in _PARAMETER:
        args, _, _ = analysis.calls.args(call, frame)
        data = args[0] if args else None
        return replace(data, origin=call) if isinstance(data, Tensor) and data.rank is not None else Tensor()
    if qn in _PRODUCTS:
        args, _, lost = analysis.calls.args(call, frame)
        if lost or len(args) != 2:
            return Tensor()
        return product(analysis, args[0], args[1], _PRODUCTS[qn], call)
    if qn in SUMMARIES:
        keyword, batched = SUMMARIES[qn]
        args, kwargs, lost = analysis.calls.args(call, frame)
        module = args[0] if args else kwargs.get("model", UNKNOWN)
        size = args[1] if len(args) > 1 else kwargs.get(keyword, UNKNOWN)
        sizes = _concrete_items(size) if isinstance(size, tuple) else None
        if not lost and _is_module(module) and sizes and all(_numeric(s) for s in sizes):
            shape = list(sizes) if batched else [2, *sizes]  # (torchsummary runs a batch of 2)
            analysis.layers.apply(module, make_tensor(len(shape), dict(enumerate(shape)), None, None, False, call), at=call)
        return UNKNOWN
    return NOT_HANDLED


def module_method(module: Any, method: str) -> Any:
    """``module.method(...)`` when it returns ``module`` itself; else NOT_HANDLED."""
    if method in SELF_RETURNING and _is_module(module):
        return module
    return NOT_HANDLED
