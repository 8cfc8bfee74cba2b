"""What produced a BatchNorm1d's 3-D input (BN203, the BN201 hint): the forward hook notes the
3-D outputs of modules whose last dimension is the feature axis, and a BatchNorm1d input is
traced back to one of them (the same tensor, through autograd's graph, or the same memory)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import weakref

from torch import Tensor, nn

if TYPE_CHECKING:  # pragma: no cover
    from .core import Tracer

#: modules whose output holds the features in its last dimension: (N, L, E) or (L, N, E)
FEATURES_LAST: tuple[type, ...] = tuple(cls for cls in (
    nn.Embedding, nn.Linear, nn.Bilinear, nn.LayerNorm, getattr(nn, "RMSNorm", None), nn.RNNBase,
    nn.TransformerEncoderLayer, nn.TransformerDecoderLayer, nn.TransformerEncoder, nn.TransformerDecoder,
    nn.Transformer, nn.MultiheadAttention,
) if cls is not None)

#: autograd nodes that move dimensions: a path through one of them is not the producer's layout
_MOVES = ("Transpose", "Permute", "View", "Reshape", "AsStrided", "Movedim", "Unfold", "Expand", "Squeeze",
          "Unsqueeze", "Select", "Index", "Cat", "Stack")
_SEARCH = 64  # autograd nodes visited at most, per check
_KEEP = 8  # recent producer outputs kept per thread

IS_PRODUCER: dict[type, bool] = {}  # per module class, once seen


class Produced:
    """One 3-D output of a features-last module."""

    __slots__ = ("ref", "node", "shape", "stride", "data", "kind", "module")

    def __init__(self, out: Tensor, module) -> None:
        self.ref = weakref.ref(out)
        self.node = out.grad_fn
        self.shape = tuple(out.shape)
        self.stride = out.stride()
        self.data = out.data_ptr()
        self.kind = type(module).__name__
        self.module = weakref.ref(module)


def note_output(module, output, produced: list) -> None:
    """Called by the forward hook on every module: keep ``output`` when ``module`` is a producer."""
    cls = type(module)
    known = IS_PRODUCER.get(cls)
    if known is None:
        known = IS_PRODUCER[cls] = issubclass(cls, FEATURES_LAST)
    if not known:
        return
    if isinstance(output, tuple) and output:  # RNNs and attention: (output, state/weights)
        output = output[0]
    if isinstance(output, Tensor) and output.dim() == 3:
        produced.append(Produced(output, module))
        if len(produced) > _KEEP:
            del produced[0]


def source_of(x: Tensor, produced: list) -> Produced | None:
    """The producer output that ``x`` is, in the same layout; None when unknown or moved."""
    shape = tuple(x.shape)
    candidates = [p for p in produced if p.shape == shape]
    if not candidates:
        return None
    for p in reversed(candidates):
        if p.ref() is x:
            return p
    node = x.grad_fn
    if node is not None:
        targets = {p.node: p for p in candidates if p.node is not None}
        if targets:
            return _search(node, targets)
        return None
    stride, data = x.stride(), x.data_ptr()
    for p in reversed(candidates):  # no autograd graph: only the same memory in the same layout is certain
        if p.data == data and p.stride == stride:
            return p
    return None


def _search(start, targets: dict) -> Produced | None:
    """Breadth-first through autograd's graph from ``start``, never past a node that moves dimensions."""
    seen, queue, visited = {start}, [start], 0
    while queue and visited < _SEARCH:
        node = queue.pop(0)
        visited += 1
        hit = targets.get(node)
        if hit is not None:
            return hit
        name = type(node).__name__
        if any(word in name for word in _MOVES):
            continue
        for parent, _ in getattr(node, "next_functions", ()):
            if parent is not None and parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return None


class TraceLayouts:
    """A part of ``Tracer`` (``tracer.layouts``): the BN201 hint and BN203 (state in the tracer)."""

    def __init__(self, tracer: "Tracer") -> None:
        self.tracer = tracer

    def width(self, m, layer, x, st) -> None:
        """BN201, with the (N, L, E) hint when dim 2 holds num_features."""
        shape, features = tuple(x.shape), m.num_features
        quiet = "" if (m.affine or m.track_running_stats) else " (PyTorch raises nothing here: affine=False, " \
                                                               "track_running_stats=False)"
        hint = ""
        if len(shape) == 3 and shape[2] == features:
            source = source_of(x, st.produced)
            made = f" (from {source.kind} {self.tracer.naming.module_path(source.module(), st.root)})" if source else ""
            hint = f"; dim 2 equals num_features: this looks like (N, L, E){made}: transpose(1, 2) first"
        self.tracer.findings.hit("BN201", layer, f"input has {shape[1]} channels at dim 1 {shape} but num_features={features}"
                                  f"{hint}{quiet}")

    def sequence_layout(self, layer, x, st) -> None:
        """BN203 when a (N, L, E) input with L == E comes, unmoved, from a features-last module."""
        layer.layout_checks += 1
        source = source_of(x, st.produced)
        if source is None:
            return
        layer.layout_checks = 3
        shape = tuple(x.shape)
        producer = self.tracer.naming.module_path(source.module(), st.root)
        self.tracer.findings.hit("BN203", layer, f"input {shape} comes from {source.kind} {producer}"
                                  f", whose last dim holds the features: a (N, L, E) tensor with L == E == {shape[2]}, "
                                  "so PyTorch raises nothing, but BatchNorm1d normalises over dim 1 (L), not over the "
                                  "features; transpose(1, 2) to (N, E, L) first, reshape to (N*L, E), or use LayerNorm",
                  counted=False)  # checked until seen once, so no call count
