"""Tensor operations for the chain interpreter (see :mod:`.chains`): torch functions and tensor
methods that keep, reorder or reshape axes (``view``, ``permute``, ``cat``, factories), and
``x.shape`` read with the feature axis remembered."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.shapes import sources as shape_sources
from bn_lint.semantic.shapes.frame import Frame
from bn_lint.semantic.shapes.values import (
    FuncRef, LayerClass, Tensor, _concat, _concrete_items, _flatten, make_tensor, _numeric, _with_rank,
)
from bn_lint.semantic.knowledge.layers import SAME_SHAPE_FUNCTIONS, SAME_SHAPE_METHODS, TRANSPARENT_METHODS
from bn_lint.semantic.syntax.constants import UNKNOWN, Sym, is_width, sym_add, sym_mul

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.shapes.producers import ChainAnalysis


# wrappers that return the module they are given (with a re-parametrized weight)
_REPARAMETRIZE = frozenset({
    "torch.nn.utils.weight_norm", "torch.nn.utils.spectral_norm", "torch.nn.utils.parametrizations.weight_norm",
    "torch.nn.utils.parametrizations.spectral_norm", "torch.nn.utils.parametrizations.orthogonal",
})


_NOT_HANDLED = object()


_TENSOR_METHODS = frozenset({
    "view", "reshape", "flatten", "permute", "transpose", "swapaxes", "swapdims", "t", "unsqueeze", "squeeze",
    "size", "dim", "mean", "sum", "max", "min", "amax", "contiguous", "float", "to", "relu", "sigmoid",
    "tanh", "clone", "detach", "half", "double", "type_as",
})


_TENSOR_FACTORIES = frozenset(f"torch.{n}" for n in ("randn", "rand", "zeros", "ones", "empty"))
_ADAPTIVE_POOLS = frozenset(f"torch.nn.functional.adaptive_{k}_pool{d}d" for k in ("avg", "max") for d in (1, 2, 3))
_WINDOW_POOLS = frozenset(f"torch.nn.functional.{k}_pool{d}d" for k in ("avg", "max") for d in (1, 2, 3))
_POOLED_RANKS = {"1d": 3, "2d": 4, "3d": 5}
_REDUCTIONS = frozenset({"mean", "amax", "sum"})


def whole_map(model, kernel: cst.BaseExpression, tensor: cst.BaseExpression) -> bool:
    """``avg_pool2d(x, x.size()[2:])`` / ``x.shape[2:]`` / ``(x.size(2), x.size(3))``: a window over the whole map."""
    name = model.code(tensor)
    text = model.code(kernel).replace(" ", "")
    return text in (f"{name}.size()[2:]", f"{name}.shape[2:]", f"{name}.size()[-2:]", f"{name}.shape[-2:]",
                    f"({name}.size(2),{name}.size(3))", f"({name}.shape[2],{name}.shape[3])")


def _kept_channels(t: Tensor, rank: int | None, one: bool, at: cst.CSTNode | None) -> Tensor:
    """``t`` pooled over its map: batch and channels kept, the map 1×1 when ``one``, else of sizes not known."""
    sizes = {a: w for a, w in t.sizes if a in (1, -1) or rank is not None and a % rank < 2}
    if one and rank is not None:
        sizes.update({a: 1 for a in range(2, rank)})
    return make_tensor(rank, sizes, t.feat, t.producer, False, t.origin or at)


class ChainTensors:
    """Torch functions and tensor methods; a part of :class:`~.producers.ChainAnalysis`."""

    def __init__(self, chain: "ChainAnalysis") -> None:
        self.chain = chain
        self.feature_atoms: dict[str, Any] = {}  # atom read from a tensor's shape at its feature axis -> its size

    def torch_function(self, qn: str, call: cst.Call, frame: Frame) -> Any:
        if qn in _ADAPTIVE_POOLS or qn in _WINDOW_POOLS:  # `F.adaptive_avg_pool2d(x, 1)`, `F.avg_pool2d(x, x.size()[2:])`
            args, kwargs, _ = self.chain.calls.args(call, frame)
            t = args[0] if args and isinstance(args[0], Tensor) else Tensor()
            if qn in _ADAPTIVE_POOLS:
                one = self.chain.layers.may_be_one(args[1] if len(args) > 1 else kwargs.get("output_size"))
            else:
                given = [a.value for a in call.args if a.keyword is None and not a.star]
                kernel = given[1] if len(given) > 1 else next(
                    (a.value for a in call.args if a.keyword is not None and a.keyword.value == "kernel_size"), None)
                one = kernel is not None and bool(given) and whole_map(self.chain.model, kernel, given[0])
            return _kept_channels(t, t.rank if t.rank is not None else _POOLED_RANKS[qn[-2:]], one, call)
        if qn in SAME_SHAPE_FUNCTIONS:
            args, _, _ = self.chain.calls.args(call, frame)
            first = args[0] if args else UNKNOWN
            return (first if isinstance(first, Tensor) else Tensor()).step()
        if qn in ("torch.cat", "torch.concat", "torch.concatenate"):
            args, kwargs, lost = self.chain.calls.args(call, frame)
            parts = _concrete_items(args[0]) if args else None
            dim = args[1] if len(args) > 1 else kwargs.get("dim", kwargs.get("axis", 0))
            return _concat(parts, dim, call)
        if qn == "torch.utils.checkpoint.checkpoint":  # checkpoint(fn, *args): fn(*args), its activations recomputed
            args, _, lost = self.chain.calls.args(call, frame)
            if args and isinstance(args[0], FuncRef) and not lost:
                return self.chain.calls.call_local(args[0], args[1:], {}, frame, call, False)
            return UNKNOWN
        if qn == "functools.partial":
            args, kwargs, lost = self.chain.calls.args(call, frame)
            if args and isinstance(args[0], LayerClass) and len(args) == 1 and not lost:
                return LayerClass(args[0].spec, args[0].preset + tuple(kwargs.items()))
            return UNKNOWN
        if qn in ("collections.OrderedDict", "typing.OrderedDict"):
            args, kwargs, lost = self.chain.calls.args(call, frame)
            items = _concrete_items(args[0]) if args else ()
            if lost or items is None or kwargs and args:
                return UNKNOWN
            out = {}
            for item in items:
                if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                    return UNKNOWN
                out[item[0]] = item[1]
            out.update(kwargs)
            return out
        if qn == "torch.nn.utils.rnn.pad_packed_sequence":  # (padded, lengths): the features stay last
            args, _, _ = self.chain.calls.args(call, frame)
            first = args[0] if args else UNKNOWN
            padded = first if isinstance(first, Tensor) and first.rank == 3 and first.feat == 2 else Tensor()
            return (padded, UNKNOWN)
        if qn in _REPARAMETRIZE:  # `weight_norm(nn.Linear(a, b))`: the same layer, its weight re-parametrized
            args, _, lost = self.chain.calls.args(call, frame)
            return args[0] if args and not lost else UNKNOWN
        if qn == "typing.cast":
            args, _, _ = self.chain.calls.args(call, frame)
            return args[1] if len(args) == 2 else UNKNOWN
        if qn in _TENSOR_FACTORIES:
            args, kwargs, lost = self.chain.calls.args(call, frame)
            shape = _concrete_items(args[0]) if len(args) == 1 and isinstance(args[0], tuple) else args
            shape = None if shape is None else [self._known_sizes(s) for s in shape]
            if lost or shape is None or not shape or not all(_numeric(s) for s in shape):
                return Tensor()
            return make_tensor(len(shape), dict(enumerate(shape)), None, None, False, call)
        if qn.startswith("torch.") and qn.count(".") == 1 and qn[6:] in _TENSOR_METHODS:
            args, kwargs, lost = self.chain.calls.args(call, frame)
            first = args[0] if args else UNKNOWN
            rest = cst.Call(call.func, call.args[1:])
            return self.tensor_method(qn[6:], first if isinstance(first, Tensor) else Tensor(), rest, frame)
        known = shape_sources.torch_call(self.chain, qn, call, frame)
        return _NOT_HANDLED if known is shape_sources.NOT_HANDLED else known

    def tensor_method(self, name: str, t: Tensor, call: cst.Call, frame: Frame) -> Any:
        args, kwargs, lost = self.chain.calls.args(call, frame)
        if lost:
            return Tensor()
        if name in TRANSPARENT_METHODS:
            return t
        if name in SAME_SHAPE_METHODS:
            return t.step()
        if name in ("view", "reshape"):
            shape = list(args)
            if len(args) == 1 and isinstance(args[0], tuple):
                shape = list(args[0])
            if not shape or kwargs:
                return Tensor()
            feat = self._feature_axis(shape)
            shape = [self._known_sizes(s) for s in shape]
            sizes = {i: s for i, s in enumerate(shape) if is_width(s) and not (isinstance(s, int) and s < 0)}
            return make_tensor(len(shape), sizes, feat, t.producer if feat is not None else None, False, call)
        if name in ("flatten",):
            start = args[0] if args else kwargs.get("start_dim", 0)
            end = args[1] if len(args) > 1 else kwargs.get("end_dim", -1)
            return _flatten(t, start, end, call)
        if name == "permute":
            dims = list(args[0]) if len(args) == 1 and isinstance(args[0], tuple) else list(args)
            if not dims or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
                return Tensor()
            rank = len(dims)
            if t.rank is not None and t.rank != rank:
                return Tensor()
            src = t if t.rank is not None else _with_rank(t, rank)
            sizes = {i: src.size(d) for i, d in enumerate(dims)}
            feat = dims.index(src.feat % rank) if src.feat is not None and src.feat % rank in [d % rank for d in dims] else None
            if feat is None and src.feat is not None:
                feat = [d % rank for d in dims].index(src.feat % rank) if src.feat % rank in [d % rank for d in dims] else None
            return make_tensor(rank, sizes, feat, t.producer, False, call)
        if name in ("transpose", "swapaxes", "swapdims"):
            if len(args) != 2 or not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
                return Tensor()
            a, b = args
            if t.rank is None:
                if {a, b} == {1, -1}:
                    swapped = {(-1 if x == 1 else 1): w for x, w in t.sizes}
                    feat = None if t.feat is None else (-1 if t.feat == 1 else 1 if t.feat == -1 else None)
                    return make_tensor(None, swapped, feat, t.producer, False, call)
                return Tensor()
            rank = t.rank
            if not (-rank <= a < rank and -rank <= b < rank):
                return Tensor()
            a, b = a % rank, b % rank
            swap = {a: b, b: a}
            sizes = {swap.get(x, x): w for x, w in t.sizes}
            feat = None if t.feat is None else swap.get(t.feat, t.feat)
            return make_tensor(rank, sizes, feat, t.producer, False, call)
        if name == "t":
            if t.rank == 2:
                return make_tensor(2, {1 - x: w for x, w in t.sizes}, None if t.feat is None else 1 - t.feat, t.producer, False, call)
            return Tensor()
        if name == "unsqueeze":
            if len(args) == 1 and isinstance(args[0], int) and t.rank is not None:
                d = args[0] % (t.rank + 1)
                sizes = {(x + 1 if x >= d else x): w for x, w in t.sizes}
                sizes[d] = 1
                feat = None if t.feat is None else (t.feat + 1 if t.feat >= d else t.feat)
                return make_tensor(t.rank + 1, sizes, feat, t.producer, False, call)
            return Tensor()
        if name == "squeeze":
            if len(args) == 1 and isinstance(args[0], int) and t.rank is not None and t.size(args[0]) == 1:
                d = args[0] % t.rank
                sizes = {(x - 1 if x > d else x): w for x, w in t.sizes if x != d}
                feat = None if t.feat is None or t.feat == d else (t.feat - 1 if t.feat > d else t.feat)
                return make_tensor(t.rank - 1, sizes, feat, t.producer, False, call)
            return Tensor()
        if name == "size" and len(args) == 1 and isinstance(args[0], int):
            return t.size(args[0])
        if name == "size" and not args and not kwargs:
            return self.shape_of(t)
        if name == "dim" and not args:
            return t.rank if t.rank is not None else UNKNOWN
        if name in _REDUCTIONS and kwargs.get("keepdim") is True:  # `x.mean((2, 3), keepdim=True)`: pooled to 1×1
            dims = args[0] if args else kwargs.get("dim")
            dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
            if all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
                rank = t.rank if t.rank is not None else 2 + len(dims) if set(dims) in (
                    {2, 3}, {2, 3, 4}, {-1, -2}, {-1, -2, -3}) else None
                if rank is not None and {d % rank for d in dims} == set(range(2, rank)):
                    return _kept_channels(t, rank, True, call)
            return Tensor()
        if name in _TENSOR_METHODS:
            return Tensor()
        return UNKNOWN

    def shape_of(self, t: Tensor) -> Any:
        """``t.shape`` of a tensor of known rank: its sizes, with the feature axis as an atom that
        remembers it (``b, c, t = x.shape``; ``x.view(b, t, c)`` then has its features last)."""
        if t.rank is None:
            return UNKNOWN
        sizes: list[Any] = [t.size(axis) for axis in range(t.rank)]
        if t.feat is not None:
            self.chain._serial += 1
            atom = f"features@{self.chain._serial}"
            self.feature_atoms[atom] = sizes[t.feat]
            sizes[t.feat] = Sym.atom(atom)
        return tuple(sizes)

    def _known_sizes(self, value: Any) -> Any:
        """``value`` with each feature atom of known size replaced by that size."""
        if not isinstance(value, Sym):
            return value
        out: Any = 0
        for mono, coeff in value.terms.items():
            term: Any = Sym({(): coeff})
            for atom in mono:
                known = self.feature_atoms.get(atom, UNKNOWN)
                term = sym_mul(term, known if is_width(known) else Sym.atom(atom))
            out = sym_add(out, term)
        return out

    def _feature_axis(self, shape: list[Any]) -> int | None:
        """The one axis of a new ``shape`` whose size carries a feature atom, if exactly one does."""
        axes = [i for i, s in enumerate(shape) if isinstance(s, Sym) and s.atoms() & self.feature_atoms.keys()]
        return axes[0] if len(axes) == 1 else None
