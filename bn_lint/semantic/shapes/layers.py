"""Layers for the chain interpreter (see :mod:`.chains`): a torch.nn layer built from its call's
arguments, chains of modules extended, and a module applied to a tensor: the shape each layer
gives, and, for a BatchNorm, the :class:`~.chain_values.Observation` of what fed it."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.shapes.frame import Frame
from bn_lint.semantic.shapes.values import (
    _CLASS_TABLE, _ENTITY_TABLE, GAP, _LABEL_IDS, _SEQUENCE_IDS, _TOKEN_TABLE, Chain, LayerClass, LayerValue,
    Observation, ProjModule, Tensor, _concrete_items, _flatten, make_tensor, one_by_one, spatial_sizes, splat_items,
)
from bn_lint.semantic.knowledge.layers import SAME
from bn_lint.semantic.nn_modules.uses import iterated_not_called
from bn_lint.semantic.shapes.sequence_feeds import note_consumer
from bn_lint.semantic.syntax.constants import UNKNOWN, Sym, is_width, widths_equal

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.shapes.producers import ChainAnalysis


class ChainLayers:
    """Builds and applies modules; a part of :class:`~.producers.ChainAnalysis`."""

    def __init__(self, chain: "ChainAnalysis") -> None:
        self.chain = chain
        self._applied: list[cst.Call] = []  # calls applying a project module to a tensor of known rank, outermost first

    def build(self, cls: LayerClass, call: cst.Call, pairs: list[tuple[cst.Arg, Any]], lost: bool,
               frame: Frame) -> Any:
        spec = cls.spec
        args = [v for a, v in pairs if not a.keyword and not a.star]
        if any(a.star == "*" for a, _ in pairs):
            args = []
            if spec.name == "Sequential":  # (`nn.Sequential(*layers)` runs a layer some paths leave out, if there)
                lost = any(a.star == "**" or a.keyword for a, _ in pairs)
            for a, v in pairs:
                if a.star == "*":
                    items = splat_items(v) if spec.name == "Sequential" else _concrete_items(v)
                    if items is None or GAP in items:
                        lost = True
                    else:
                        args.extend(items)
                elif not a.keyword and not a.star:
                    args.append(v)
        if spec.name == "Sequential":
            items = list(args)
            if len(args) == 1 and isinstance(args[0], dict):
                items = list(args[0].values())
            if lost:
                items.insert(0, GAP)
            if iterated_not_called(self.chain.model, call):  # `for blk in self.net: X = cat((X, blk(X)), 1)` (DenseNet)
                return Chain(tuple(items), Tensor(), False, None if GAP in items else (), True)
            spread = pairs[0][1] if len(pairs) == 1 and pairs[0][0].star == "*" else None
            if isinstance(spread, Chain) and not spread.sequential and spread.fills is not None and GAP in spread.items:
                # `nn.Sequential(*[block(w) for _ in range(n)])`: its unknown stretch holds what the list's may
                built = self.extend(Chain((), Tensor(), True), list(spread.items))
                return Chain(built.items, built.tail, True, spread.fills)
            return self.extend(Chain((), Tensor(), True), items)
        if spec.name == "ModuleList" and len(pairs) <= 1 and not any(a.keyword or a.star for a, _ in pairs):
            given = args[0] if args else ()
            if isinstance(given, Chain) and not given.sequential:
                return Chain(given.items, Tensor(), False, given.fills, True)
            items = _concrete_items(given)
            return Chain(tuple(items), Tensor(), False, (), True) if items is not None else \
                Chain((GAP,), Tensor(), False, None, True)
        if spec.kind == "container":
            return UNKNOWN
        values: dict[str, Any] = {k: v for k, v in cls.preset if v is not UNKNOWN}
        exprs: dict[str, cst.BaseExpression] = {}
        index = 0
        spread = False  # (values given through `*args` / `**kwargs` the interpreter knows: not in this call's text)
        for arg, value in pairs:
            if arg.star == "*":  # `nn.RNN(*args, **kwargs)` in a thin wrapper: the items its caller gave
                items = _concrete_items(value)
                if items is None or GAP in items:
                    lost, index = True, len(spec.params)
                    continue
                for item in items:
                    if index < len(spec.params):
                        values[spec.params[index]] = item
                        index += 1
                spread = True
                continue
            if arg.star == "**":
                if isinstance(value, dict) and all(isinstance(k, str) for k in value):
                    values.update(value)
                    spread = True
                else:
                    lost = True
                continue
            if arg.keyword is not None:
                values[arg.keyword.value] = value
                exprs[arg.keyword.value] = arg.value
            elif index < len(spec.params):
                values[spec.params[index]] = value
                exprs[spec.params[index]] = arg.value
                index += 1
        plain = not lost and not spread and not cls.preset
        layer = LayerValue(call, spec, exprs, values, frozenset(k for k, _ in cls.preset), plain,
                           dict(frame.locals) if spec.is_batchnorm else {}, frame.site)
        return layer

    def extend(self, chain: Chain, items: list[Any]) -> Chain:
        tail = chain.tail
        for item in items if not chain.module_list else ():
            tail = self.apply(item, tail) if item is not GAP else Tensor()
            if not isinstance(tail, Tensor):
                tail = Tensor()
        return Chain(chain.items + tuple(items), tail, chain.sequential, None if GAP in items else chain.fills,
                     chain.module_list)

    def apply(self, module: Any, tensor: Tensor, at: cst.Call | None = None) -> Any:
        self.chain._tick()
        if isinstance(module, LayerValue):
            return self._apply_layer(module, tensor, at)
        if isinstance(module, Chain):
            for item in module.items:
                if item is GAP and module.fills is not None and len(module.fills) == 1:
                    # every module of the stretch is this one (`nn.Sequential(*[block(w) for _ in range(n)])`):
                    # the first sees the tensor; after an unknown number of them, the shape is not known
                    self.apply(module.fills[0], tensor)
                tensor = self.apply(item, tensor) if item is not GAP else Tensor()
                if not isinstance(tensor, Tensor):
                    tensor = Tensor()
            return tensor
        if isinstance(module, ProjModule):
            forward = self.chain._method(module.state.info, "forward")
            if forward is None or forward in self.chain._active:
                self.chain.expressions.escape(tensor)
            if forward is None:
                return self.apply(module.state.seq, tensor) if module.state.seq is not None else Tensor()
            if at is not None and tensor.rank is not None:
                self._applied.append(at)
            try:
                out = self.chain.calls.call_function(forward, module.state, [tensor], {}, None, unknown_rest=True)
            finally:
                if at is not None and tensor.rank is not None:
                    self._applied.pop()
            return out if isinstance(out, (Tensor, tuple)) else Tensor()
        return Tensor()

    def may_be_one(self, size: Any) -> bool:
        """Whether a pooling size may be 1 (or all ones): the number, or a parameter (or an element of one)
        whose default is 1 where the call site leaves it (a run that builds the module with its callers'
        arguments sees theirs)."""
        if isinstance(size, (tuple, list)):
            return bool(size) and all(self.may_be_one(one) for one in size)
        if isinstance(size, Sym) and len(size.atoms()) == 1 and size == Sym.atom(next(iter(size.atoms()))):
            atom = next(iter(size.atoms()))
            default = self.chain.defaults[atom][0] if atom in self.chain.defaults else self.chain.item_defaults.get(atom)
            return default == 1
        return size == 1 and not isinstance(size, bool)

    def _label_embedding(self, layer: LayerValue, at: cst.Call | None) -> bool:
        """An embedding of class labels (``nn.Embedding(num_classes, dim)``, applied to ``y`` / ``labels``):
        a conditional GAN's or recommender's (N,) ids give (N, E), not the (N, L, E) of a token batch."""
        table = layer.args.get("num_embeddings")
        if table is not None and _CLASS_TABLE.search(self.chain.model.code(table)):
            return True
        given = at.args[0].value if at is not None and at.args else None
        if isinstance(given, cst.Name) and _LABEL_IDS.fullmatch(given.value) is not None:
            return True
        # a table of counted things (`n_stations`, `num_speakers`), not of tokens, looked up with ids
        # not named as a sequence (`station`, not `item_seq` / `tokens`): one row per sample
        return table is not None and _ENTITY_TABLE.search(self.chain.model.code(table)) is not None \
            and not _TOKEN_TABLE.search(self.chain.model.code(table)) \
            and isinstance(given, cst.Name) and not _SEQUENCE_IDS.search(given.value)

    def _apply_layer(self, layer: LayerValue, t: Tensor, at: cst.Call | None = None) -> Any:
        spec = layer.spec
        node = layer.node
        if not spec.is_batchnorm and not (spec.out_width == SAME and spec.transparent):
            self.chain.expressions.escape(t)
        if spec.is_batchnorm:
            seen = self.chain.observations.setdefault(node, [])
            obs = Observation(layer, t, at, self._applied[0] if self._applied else None)
            # (at most 16 per BatchNorm from call sites; the standalone ones, which BN204 reads, always)
            if (len(seen) < 16 or (layer.site is None and t.producer is not None and t.producer.site is None)) \
                    and obs not in seen:
                seen.append(obs)
            # (an unknown rank stays unknown: assuming the variant's rank would make one wrong
            # BatchNorm, itself a finding, report the layers after it too)
            width = layer.value(spec.in_width)
            if t.rank is not None and not widths_equal(width, t.size(1)) \
                    and (t.feat not in (None, 1) or widths_equal(width, t.size(-1))):
                # (its features elsewhere than on dim 1, (N, L, E): the misplaced BatchNorm is the finding; its
                # output keeps the input's layout, so a later `transpose(1, 2)` is read as the fix it is)
                return make_tensor(t.rank, dict(t.sizes), t.feat, layer, True, t.origin)
            return make_tensor(t.rank, {**spatial_sizes(t), 1: width if is_width(width) else t.size(1)}, 1, layer, True, node)
        kind = spec.kind
        if kind == "conv":
            takes = spec.batched_rank if spec.out_rank == SAME or not spec.in_ranks else spec.in_ranks[0]
            if t.rank is not None and t.rank != takes:
                return Tensor()  # unbatched input, or a wrong rank this conv would reject: the conv is the problem
            # (a 1×1 map stays 1×1 through a convolution that accepts it; a transposed one grows it)
            kept = spatial_sizes(t) if one_by_one(t) and "Transpose" not in spec.name else {}
            return make_tensor(spec.batched_rank, {**kept, 1: layer.out_width}, 1, layer, True, node)
        if kind == "pool":  # (its map's size: 1×1 after an adaptive pool to 1, else not known)
            rank = t.rank if t.rank is not None else spec.batched_rank
            pooled = spec.name.startswith("Adaptive") and self.may_be_one(layer.value("output_size"))
            sizes = {a: w for a, w in t.sizes if a in (1, -1) or rank is not None and a % rank < 2}
            sizes.update({a: 1 for a in range(2, rank)} if pooled and rank is not None else {})
            return make_tensor(rank, sizes, t.feat, t.producer, t.direct and spec.transparent, t.origin)
        if kind in ("linear", "graph"):
            if t.rank is not None:
                sizes = {a: w for a, w in t.sizes if a < t.rank - 1}
                sizes[t.rank - 1] = layer.out_width
                return make_tensor(t.rank, sizes, t.rank - 1, layer, True, node)
            return make_tensor(None, {-1: layer.out_width}, -1, layer, True, node)
        if kind == "embedding":
            rank = t.rank + 1 if t.rank is not None else None if self._label_embedding(layer, at) else spec.batched_rank
            return make_tensor(rank, {-1: layer.out_width}, -1, layer, False, node)
        if kind in ("rnn", "transformer") and spec.layout_param:
            if layer.value(spec.layout_param) is True:
                note_consumer(self.chain, layer, t, at)
                out = make_tensor(3, {2: layer.out_width}, 2, layer, False, node)
            else:
                out = Tensor()
            return (out, UNKNOWN) if kind == "rnn" else out
        if kind == "transformer" and spec.name in ("TransformerEncoder", "TransformerDecoder"):
            inner = layer.value(spec.params[0])  # a stack of its layer: the layer's layout
            if isinstance(inner, LayerValue) and inner.spec.layout_param and inner.value(inner.spec.layout_param) is True:
                note_consumer(self.chain, inner, t, at)
                return make_tensor(3, {2: inner.out_width}, 2, inner, False, node)
            return make_tensor(t.rank, {}, None, None, False, node)
        if kind == "attention":
            return (Tensor(), UNKNOWN)
        if spec.name == "Flatten":
            start, end = layer.value("start_dim"), layer.value("end_dim")
            return _flatten(t, start, end, node)
        if spec.out_width == SAME:
            rank = t.rank if t.rank is not None else spec.batched_rank
            width = layer.value(spec.in_width) if spec.in_width not in (None, SAME) else UNKNOWN
            if is_width(width) and spec.features:
                axis = 1 if spec.features == "first" else -1
                return make_tensor(rank, {**(spatial_sizes(t) if axis == 1 else {}), axis: width}, axis, layer, False, node)
            return make_tensor(rank, dict(t.sizes), t.feat, t.producer, t.direct and spec.transparent, t.origin)
        return make_tensor(t.rank if spec.out_rank == SAME else None, {}, None, None, False, node)
